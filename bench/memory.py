"""Peak memory of this process and of its descendants, sampled from /proc (Linux, no psutil).

Two figures per process: VmHWM (the kernel's peak resident set, which for a forked worker also
counts the pages it shares with the process it was forked from) and the peak of its own memory
(USS: private clean + private dirty pages from smaps_rollup, sampled), which is what a worker adds
and what must stay flat as the corpus grows.

Every process is put in one of a few roles by its command line (`role_of`): `dbt` (the dbt
subprocess, DuckDB's buffer pool inside it), `parser` (the parse workers and the forkserver they
are forked from), `other`; the orchestrating process itself (Dagster, staging, Great Expectations,
the publish copy: everything an in-process run does) is `orchestrator`, sampled with timestamps so
that its peak can be told per stage (`peak_between`).
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path


def _children_of(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = set(), {root}
    while frontier:
        nxt = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= nxt
        frontier = nxt
    return found


def _private_kib(pid: int) -> int:
    total = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return total


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _peak_kib(pid: int) -> int:
    return _status_kib(pid, "VmHWM:")


def reset_own_peak() -> bool:
    """Reset this process's VmHWM to its current resident set (Linux clear_refs 5), so the peak
    of one measurement is not an earlier one's. False where the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def role_of(cmdline: str) -> str:
    if "dbt" in cmdline and "forkserver" not in cmdline:
        return "dbt"
    if "resource_tracker" in cmdline:
        return "other"
    if "forkserver" in cmdline or "multiprocessing" in cmdline or "pebble" in cmdline:
        return "parser"
    return "other"


class ChildMemorySampler:
    """Samples VmHWM and USS of every descendant process; `.peaks` maps pid -> (name, peak MiB).
    The orchestrating process's own resident set is kept as a time series (`own_series`)."""

    def __init__(self, interval: float = 0.25):
        self.interval = interval
        self.peaks: dict[int, tuple[str, float]] = {}
        self.private_peaks: dict[int, tuple[str, float]] = {}
        self.own_series: list[tuple[float, float]] = []  # (epoch seconds, RSS MiB)
        self.own_peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            self.own_series.append((time.time(), _status_kib(me, "VmRSS:") / 1024))
            for pid in _children_of(me):
                kib = _peak_kib(pid)
                try:
                    name = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
                except OSError:
                    name = "?"
                if kib and kib / 1024 > self.peaks.get(pid, ("", 0.0))[1]:
                    self.peaks[pid] = (name, kib / 1024)
                own = _private_kib(pid)
                if own and own / 1024 > self.private_peaks.get(pid, ("", 0.0))[1]:
                    self.private_peaks[pid] = (name, own / 1024)
            self._stop.wait(self.interval)

    def __enter__(self) -> "ChildMemorySampler":
        reset_own_peak()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.own_peak_mib = _peak_kib(os.getpid()) / 1024

    def max_mib(self, exclude: str | None = None, private: bool = False, role: str | None = None) -> float:
        peaks = self.private_peaks if private else self.peaks
        return max((mib for name, mib in peaks.values()
                    if not (exclude and exclude in name) and (role is None or role_of(name) == role)), default=0.0)

    def peak_between(self, start: float, end: float) -> float:
        """The orchestrating process's largest sampled resident set between two epoch times."""
        return max((mib for t, mib in self.own_series if start <= t <= end), default=0.0)

    def by_role(self) -> dict[str, dict[str, float]]:
        """Peak VmHWM and USS (MiB) per role, the orchestrating process included."""
        out: dict[str, dict[str, float]] = {}
        for role in ("parser", "dbt", "other"):
            hwm, own = self.max_mib(role=role), self.max_mib(role=role, private=True)
            if hwm or own:
                out[role] = {"peak_mib": round(hwm, 1), "peak_own_mib": round(own, 1)}
        out["orchestrator"] = {"peak_mib": round(max(self.own_peak_mib, *(m for _, m in self.own_series), 0.0), 1)}
        return out
