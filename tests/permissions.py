"""Run a subprocess that respects file modes even when the tests run as root.

Root ignores permission bits (CAP_DAC_OVERRIDE), so a read-only file or folder is no obstacle to
it; CI and the developers' machines run as root. The child drops that capability (and
CAP_DAC_READ_SEARCH) from its bounding set before it executes, which makes it, as far as file
modes go, an ordinary user that owns root's files. Not root: nothing to drop.
"""
from __future__ import annotations

import ctypes
import os

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def _drop_mode_override() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def respecting_file_modes() -> dict:
    """subprocess keyword arguments: the child is bound by file permission bits."""
    return {"preexec_fn": _drop_mode_override} if os.geteuid() == 0 else {}
