"""Second source: a CSV manifest of URLs (with optional department, region and year hints).

Downloads use a connect/read timeout, retries with exponential backoff (urllib3's Retry), a size
limit enforced while streaming, and a check that the body is a PDF. A URL fetched once is not
fetched again (cache by URL; the bytes are then addressed by hash in the archive). A URL that
fails is reported and tried again on the next run; it never stops the run.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ingest.discover import MAX_FILE_BYTES, LandedFile

CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
_PDF_MAGIC = b"%PDF-"


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


def read_manifest(path: Path) -> list[ManifestEntry]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "url" not in reader.fieldnames:
                raise ManifestError(f"manifest {path} has no 'url' column (columns: url, department, region, year)")
            entries = []
            for row in reader:
                url = (row.get("url") or "").strip()
                if not url:
                    continue
                year = (row.get("year") or "").strip()
                entries.append(ManifestEntry(
                    url=url,
                    department=(row.get("department") or "").strip() or None,
                    region=(row.get("region") or "").strip() or None,
                    year=int(year) if year.isdigit() else None,
                ))
            return entries
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc}") from exc


def _session(retries: int) -> requests.Session:
    retry = Retry(total=retries, connect=retries, read=retries, status=retries, backoff_factor=0.5,
                  status_forcelist=(429, 500, 502, 503, 504), allowed_methods=("GET",), raise_on_status=False)
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def _display_name(url: str) -> str:
    """A file name for the record only (untrusted; never used as a path)."""
    name = unquote(os.path.basename(urlparse(url).path)) or "download.pdf"
    return re.sub(r"[\x00-\x1f/\\]", "_", name)[:200]


class Downloader:
    def __init__(self, cache_dir: Path, *, max_bytes: int = MAX_FILE_BYTES, retries: int = 3,
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT)):
        self.cache_dir = cache_dir
        self.index_path = cache_dir / "index.json"
        self.max_bytes = max_bytes
        self.retries = retries
        self.timeout = timeout

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
        try:
            with os.fdopen(fd, "wb") as out:
                try:
                    with session.get(url, stream=True, timeout=self.timeout) as resp:
                        if resp.status_code != 200:
                            raise DownloadError(f"HTTP {resp.status_code}")
                        declared = resp.headers.get("Content-Length")
                        if declared and declared.isdigit() and int(declared) > self.max_bytes:
                            raise DownloadError(f"too large: {declared} bytes (limit {self.max_bytes})")
                        size = 0
                        for chunk in resp.iter_content(chunk_size=65536):
                            size += len(chunk)
                            if size > self.max_bytes:
                                raise DownloadError(f"too large: more than {self.max_bytes} bytes")
                            digest.update(chunk)
                            out.write(chunk)
                except requests.RequestException as exc:
                    raise DownloadError(f"{type(exc).__name__}: {exc}".splitlines()[0][:300]) from exc
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
