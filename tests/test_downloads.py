"""The URL-manifest source against an HTTP server on 127.0.0.1 started by the test."""
from __future__ import annotations

import contextlib
import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

from ingest.download import Downloader, ManifestEntry, read_manifest
from pipelines.cli import main
from tests.conftest import CZJ, SHGZ, require_corpus


class _Handler(BaseHTTPRequestHandler):
    hits: dict[str, int] = {}

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        _Handler.hits[self.path] = _Handler.hits.get(self.path, 0) + 1
        if self.path in ("/good.pdf", "/reports/%E8%B4%A2%E6%94%BF%E5%B1%80.pdf"):
            return self._send(200, SHGZ.read_bytes())
        if self.path == "/big.pdf":
            return self._send(200, CZJ.read_bytes())
        if self.path == "/page.pdf":
            return self._send(200, b"<html>not a pdf</html>", "text/html")
        if self.path == "/flaky.pdf":
            if _Handler.hits[self.path] == 1:
                return self._send(503, b"busy")
            return self._send(200, SHGZ.read_bytes())
        if self.path == "/slow.pdf":
            time.sleep(3)
            return self._send(200, SHGZ.read_bytes())
        return self._send(404, b"not found")

    def _send(self, code, body, ctype="application/pdf"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    require_corpus()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_downloader_outcomes(server, tmp_path):
    assert SHGZ.stat().st_size < 2_000_000 < CZJ.stat().st_size
    dl = Downloader(tmp_path / "dl", max_bytes=2_000_000, retries=2, timeout=(2, 1))
    entries = [ManifestEntry(f"{server}/{p}") for p in ("good.pdf", "missing.pdf", "page.pdf", "big.pdf", "flaky.pdf", "slow.pdf")]
    entries.append(ManifestEntry("file:///etc/passwd"))
    report = dl.fetch_all(entries)
    failed = dict(report.failed)
    assert sorted(u.rsplit("/", 1)[-1] for u in report.fetched) == ["flaky.pdf", "good.pdf"]
    assert "HTTP 404" in failed[f"{server}/missing.pdf"]
    assert "not a PDF" in failed[f"{server}/page.pdf"]
    assert "too large" in failed[f"{server}/big.pdf"]
    assert "Timeout" in failed[f"{server}/slow.pdf"] or "timed out" in failed[f"{server}/slow.pdf"]
    assert "http" in failed["file:///etc/passwd"]
    assert _Handler.hits["/flaky.pdf"] == 2  # retried with backoff, then fetched
    # a second run: fetched URLs come from the cache, failed ones are tried again
    before = dict(_Handler.hits)
    again = dl.fetch_all(entries)
    assert sorted(u.rsplit("/", 1)[-1] for u in again.cached) == ["flaky.pdf", "good.pdf"]
    assert _Handler.hits["/good.pdf"] == before["/good.pdf"]
    assert _Handler.hits["/missing.pdf"] > before["/missing.pdf"]


def test_manifest_through_the_pipeline(server, tmp_path):
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "url,department,region,year\n"
        f"{server}/reports/%E8%B4%A2%E6%94%BF%E5%B1%80.pdf,中共上海市普陀区委社会工作部,上海市普陀区,2024\n"
        f"{server}/missing.pdf,,,\n",
        encoding="utf-8",
    )
    assert [e.year for e in read_manifest(manifest)] == [2024, None]
    warehouse = tmp_path / "out" / "warehouse.duckdb"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["run", "--create", "--manifest", str(manifest), "--warehouse", str(warehouse), "--log-level", "ERROR"])
    assert code == 0, out.getvalue()
    assert "1 failed" in out.getvalue() and "missing.pdf" in out.getvalue()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select file_name, status, department from raw.documents").fetchall()
    assert rows == [("财政局.pdf", "loaded", "中共上海市普陀区委社会工作部")]
