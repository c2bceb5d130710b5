"""Second source: a CSV manifest of URLs (with optional department, region and year hints).

Downloads use a connect/read timeout, retries with exponential backoff (urllib3's Retry), a size
limit enforced while streaming, an overall deadline per URL, and a check that the body is a PDF.
A URL fetched once is not fetched again (cache by URL; the bytes are then addressed by hash in
the archive). A URL that fails is reported and tried again on the next run; it never stops the run.

The manifest is untrusted too: it is read as UTF-8 (with or without BOM) or, failing that, GBK
(GB 18030, what Excel saves on a Chinese Windows), a row with a bad value is rejected with a line
naming it, and a manifest that cannot be used at all (no `url` column, not text) is a
`ManifestError`, which the CLI reports as a usage error before the night starts.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from ingest.discover import MAX_FILE_BYTES, LandedFile

CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
# The whole download of one URL (connecting, retries and their backoff, headers, body): the
# timeouts above bound each socket operation only, so a server sending a byte every few seconds
# would otherwise hold the night for ever.
DOWNLOAD_DEADLINE_SECONDS = float(os.environ.get("FW_DOWNLOAD_DEADLINE_SECONDS", "300") or 300)
MAX_RETRY_AFTER_SECONDS = 30.0  # a server's Retry-After is obeyed up to this (and the deadline)
MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # about a million rows
_PDF_MAGIC = b"%PDF-"
_YEAR = re.compile(r"(19|20)[0-9]{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ManifestEntry:
    url: str
    department: str | None = None
    region: str | None = None
    year: int | None = None


@dataclass
class DownloadReport:
    fetched: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    landed: list[tuple[LandedFile, ManifestEntry]] = field(default_factory=list)


class ManifestError(ValueError):
    """The manifest file itself is unusable (missing column, unreadable)."""


@dataclass
class Manifest:
    entries: list[ManifestEntry]
    rejected: list[str]  # one line per rejected row, naming the file and its line
    encoding: str


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8-sig", "gb18030"):  # GB 18030 is a superset of GBK and GB 2312
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ManifestError(f"manifest {path} is neither UTF-8 nor GBK text: save it as CSV (UTF-8)")


def load_manifest(path: Path) -> Manifest:
    """Read a manifest; rows with a bad value are rejected (listed in `rejected`), never fatal.

    Raises ManifestError when the file cannot be used at all."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            raise ManifestError(f"manifest {path} is {size} bytes (limit {MAX_MANIFEST_BYTES}): split it")
        text, encoding = _decode(path.read_bytes(), path)
    except OSError as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc.strerror or exc}") from exc
    entries: list[ManifestEntry] = []
    rejected: list[str] = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        reader.fieldnames = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
        if "url" not in reader.fieldnames:
            raise ManifestError(f"manifest {path} has no 'url' column: its first row must name the columns "
                                "(url, department, region, year)")
        for row in reader:
            where = f"{path.name} line {reader.line_num}"
            url = (row.get("url") or "").strip()
            hints = {k: (row.get(k) or "").strip() for k in ("department", "region", "year")}
            if not url:
                if any(hints.values()):
                    rejected.append(f"{where}: no url; row skipped")
                continue
            if _CONTROL.search(url):
                rejected.append(f"{where}: the url contains control characters; row skipped")
                continue
            year = hints["year"]
            if year and not _YEAR.fullmatch(year):
                rejected.append(f"{where}: year {year!r} is not a year such as 2024; row skipped (fix the manifest)")
                continue
            entries.append(ManifestEntry(url=url, department=hints["department"] or None,
                                         region=hints["region"] or None, year=int(year) if year else None))
    except csv.Error as exc:
        raise ManifestError(f"cannot read manifest {path}: line {reader.line_num}: {exc}") from exc
    return Manifest(entries, rejected, encoding)


def read_manifest(path: Path) -> list[ManifestEntry]:
    """The usable rows of a manifest (see `load_manifest` for the rejected ones)."""
    return load_manifest(path).entries


class _Deadline:
    """The overall deadline of one download, enforced from a timer thread.

    Every socket the download opens is registered here (see `_DeadlineConnection`); when the
    deadline passes, the timer shuts them down, which wakes a read blocked on a trickling server
    at once, and any new connection attempt (a retry) fails before it starts. A `recv` can wait
    at most the read timeout, so without this a byte every few seconds never ends the download.
    """

    _current = threading.local()

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expires = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    @classmethod
    def current(cls) -> "_Deadline | None":
        return getattr(cls._current, "deadline", None)

    def remaining(self) -> float:
        return max(0.0, self.expires - time.monotonic())

    def register(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shutdown(sock)

    def __enter__(self) -> "_Deadline":
        self._current.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        self._current.deadline = None


class _DeadlineMixin:
    def connect(self):
        deadline = _Deadline.current()
        if deadline is not None and deadline.expired:
            raise urllib3.exceptions.ConnectTimeoutError(self, "the download deadline has passed")
        super().connect()
        if deadline is not None:
            deadline.register(self.sock)


class _DeadlineConnection(_DeadlineMixin, HTTPConnection):
    pass


class _DeadlineHTTPSConnection(_DeadlineMixin, HTTPSConnection):
    pass


class _DeadlinePool(HTTPConnectionPool):
    ConnectionCls = _DeadlineConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


_DEADLINE_POOLS = {"http": _DeadlinePool, "https": _DeadlineHTTPSPool}


class _DeadlineAdapter(HTTPAdapter):
    """requests' adapter with connections that register their socket with the current deadline."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _DEADLINE_POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _DEADLINE_POOLS
        return manager


class _Retry(Retry):
    """urllib3's Retry, with a server's Retry-After capped (an unbounded sleep otherwise)."""

    def get_retry_after(self, response):
        seconds = super().get_retry_after(response)
        if seconds is None:
            return None
        deadline = _Deadline.current()
        cap = MAX_RETRY_AFTER_SECONDS if deadline is None else min(MAX_RETRY_AFTER_SECONDS, deadline.remaining())
        return max(0.0, min(seconds, cap))


def _session(retries: int) -> requests.Session:
    retry = _Retry(total=retries, connect=retries, read=retries, status=retries, backoff_factor=0.5,
                   status_forcelist=(429, 500, 502, 503, 504), allowed_methods=("GET",), raise_on_status=False)
    session = requests.Session()
    session.mount("http://", _DeadlineAdapter(max_retries=retry))
    session.mount("https://", _DeadlineAdapter(max_retries=retry))
    return session


def _display_name(url: str) -> str:
    """A file name for the record only (untrusted; never used as a path)."""
    name = unquote(os.path.basename(urlparse(url).path)) or "download.pdf"
    return re.sub(r"[\x00-\x1f/\\]", "_", name)[:200]


class Downloader:
    def __init__(self, cache_dir: Path, *, max_bytes: int = MAX_FILE_BYTES, retries: int = 3,
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
                 deadline_seconds: float = DOWNLOAD_DEADLINE_SECONDS):
        self.cache_dir = cache_dir
        self.index_path = cache_dir / "index.json"
        self.max_bytes = max_bytes
        self.retries = retries
        self.timeout = timeout
        self.deadline_seconds = deadline_seconds

    def _index(self) -> dict:
        if self.index_path.exists():
            return json.loads(self.index_path.read_text(encoding="utf-8"))
        return {}

    def _save_index(self, index: dict) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.index_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(index, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.index_path)

    def fetch_all(self, entries: list[ManifestEntry]) -> DownloadReport:
        report = DownloadReport()
        index = self._index()
        session = _session(self.retries)
        for entry in entries:
            known = index.get(entry.url)
            if known and known.get("status") == "ok" and (self.cache_dir / f"{known['sha256']}.pdf").exists():
                report.cached.append(entry.url)
                path = self.cache_dir / f"{known['sha256']}.pdf"
            else:
                now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
                attempts = (known or {}).get("attempts", 0) + 1
                try:
                    path = self._download(session, entry.url)
                except DownloadError as exc:
                    index[entry.url] = {"status": "failed", "error": str(exc), "last_attempt": now, "attempts": attempts}
                    report.failed.append((entry.url, str(exc)))
                    continue
                sha = path.stem
                index[entry.url] = {"status": "ok", "sha256": sha, "fetched_at": now, "attempts": attempts}
                report.fetched.append(entry.url)
            report.landed.append((LandedFile(path=path, name=_display_name(entry.url), size_bytes=path.stat().st_size), entry))
        self._save_index(index)
        return report

    def _download(self, session: requests.Session, url: str) -> Path:
        if urlparse(url).scheme not in ("http", "https"):
            raise DownloadError("only http and https URLs are fetched")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=self.cache_dir, prefix=".dl-")
        late = DownloadError(f"deadline: not finished within {self.deadline_seconds:g} s "
                             "(a slow or stalled server; FW_DOWNLOAD_DEADLINE_SECONDS)")
        try:
            with os.fdopen(fd, "wb") as out, _Deadline(self.deadline_seconds) as deadline:
                try:
                    with session.get(url, stream=True, timeout=self.timeout) as resp:
                        if resp.status_code != 200:
                            raise DownloadError(f"HTTP {resp.status_code}")
                        declared = resp.headers.get("Content-Length")
                        if declared and declared.isdigit() and int(declared) > self.max_bytes:
                            raise DownloadError(f"too large: {declared} bytes (limit {self.max_bytes})")
                        size = 0
                        for chunk in resp.iter_content(chunk_size=65536):
                            if deadline.expired:
                                raise late
                            size += len(chunk)
                            if size > self.max_bytes:
                                raise DownloadError(f"too large: more than {self.max_bytes} bytes")
                            digest.update(chunk)
                            out.write(chunk)
                except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                    if deadline.expired:
                        raise late from exc
                    raise DownloadError(f"{type(exc).__name__}: {exc}".splitlines()[0][:300]) from exc
                if deadline.expired:  # a socket shut down at the deadline can look like the end of the body
                    raise late
            with open(tmp, "rb") as fh:
                if fh.read(5) != _PDF_MAGIC:
                    raise DownloadError("the response is not a PDF (no %PDF- header)")
            target = self.cache_dir / f"{digest.hexdigest()}.pdf"
            os.replace(tmp, target)
            return target
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


class DownloadError(Exception):
    pass
