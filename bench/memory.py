"""Peak memory of this process's descendants, sampled from /proc (Linux, no psutil).

Two figures per process: VmHWM (the kernel's peak resident set, which for a forked worker also
counts the pages it shares with the orchestrating process it was forked from) and the peak of
its own memory (USS: private clean + private dirty pages from smaps_rollup, sampled), which is
what a worker adds and what must stay flat as the corpus grows.
"""
from __future__ import annotations

import os
import threading
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


def _peak_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class ChildMemorySampler:
    """Samples VmHWM of every descendant process; `.peaks` maps pid -> (name, peak MiB)."""

    def __init__(self, interval: float = 0.25):
        self.interval = interval
        self.peaks: dict[int, tuple[str, float]] = {}
        self.private_peaks: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
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
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def max_mib(self, exclude: str | None = None, private: bool = False) -> float:
        peaks = self.private_peaks if private else self.peaks
        return max((mib for name, mib in peaks.values() if not (exclude and exclude in name)), default=0.0)
