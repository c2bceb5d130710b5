"""Benchmark (never a test): how fast the review site shows a document's failures with their pages.

    .venv/bin/python -m bench.review_render [--pdf FILE.pdf] [--warehouse W] [--repeat 3]

Runs one night over the PDF into a scratch folder (or uses the published warehouse given), then
for every document with failures measures, in process (Starlette's TestClient, so the server's
work only) and, when /usr/bin/chromium exists, in a real browser (page load until every image
is in):

* first render: the document page and all its failing pages' images with an empty
  `<data_dir>/review_cache` (pypdfium2 renders each page, Pillow draws the marks);
* cached: the same document page again (images from the cache).

Writes bench/results/review-render-<UTC>.json and prints the numbers.
"""
from __future__ import annotations

import argparse
import json
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the real reports with failures: 上海市普陀区财政局 2024 (25 pages, 4 failures on 8 page images) and
# 西安市卫生健康委员会（汇总）2022 (171 pages, 1 failure)
FINAL = ROOT.parent / "shared" / "corpus" / "final"
DEFAULT_PDFS = [FINAL / "上海市普陀区财政局2024年度部门决算.pdf", FINAL / "西安市卫生健康委员会（汇总）_2022_部门决算.pdf"]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def _night(pdfs: list[Path], folder: Path) -> Path:
    landing = folder / "landing"
    landing.mkdir(parents=True)
    for pdf in pdfs:
        shutil.copy(pdf, landing / pdf.name)
    warehouse = folder / "out" / "warehouse.duckdb"
    subprocess.run([sys.executable, "-m", "pipelines", "run", "--create", "--landing", str(landing),
                    "--warehouse", str(warehouse), "--log-level", "WARNING"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return warehouse


def _in_process(app, document_id: str, cache: Path, repeat: int) -> dict:
    from starlette.testclient import TestClient

    client = TestClient(app, base_url="http://127.0.0.1")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"csrf_token": token, "name": "bench", "next": "/"})

    def load() -> tuple[float, int]:
        start = time.perf_counter()
        html = client.get(f"/documents/{document_id}").text
        images = re.findall(r'<img src="([^"]+)"', html)
        for src in images:
            assert client.get(src).status_code == 200
        return time.perf_counter() - start, len(images)

    first, cached = [], []
    for _ in range(repeat):
        shutil.rmtree(cache, ignore_errors=True)
        seconds, count = load()
        first.append(seconds)
        cached.append(load()[0])
    return {"images": count, "first_render_s": first, "cached_s": cached}


def _browser(base: str, document_id: str, cache: Path, repeat: int) -> dict | None:
    if not CHROMIUM.exists():
        return None
    from playwright.sync_api import sync_playwright

    first, cached = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for _ in range(repeat):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                page.goto(base + "/login")
                page.fill("input[name=name]", "bench")
                page.click("form.login button[type=submit]")
                page.wait_for_url(base + "/")
                shutil.rmtree(cache, ignore_errors=True)
                for bucket in (first, cached):
                    start = time.perf_counter()
                    page.goto(f"{base}/documents/{document_id}", wait_until="load")
                    # the images are lazy (a steward scrolls to them): the benchmark wants them all
                    page.evaluate("() => [...document.images].forEach(i => { i.loading = 'eager'; })")
                    page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
                    bucket.append(time.perf_counter() - start)
                context.close()
        finally:
            browser.close()
    return {"first_render_s": first, "cached_s": cached}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", action="append", help="PDF to run a night on (repeatable; default: the real reports with failures)")
    parser.add_argument("--warehouse", help="use this published warehouse instead of running a night")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    import duckdb

    from pipelines.review_site.app import create_app
    from pipelines.review_site.server import site_config

    scratch = Path(tempfile.mkdtemp(prefix="review-bench-"))
    try:
        if args.warehouse:
            warehouse = Path(args.warehouse).resolve()
        else:
            t0 = time.perf_counter()
            warehouse = _night([Path(p) for p in (args.pdf or DEFAULT_PDFS)], scratch)
            print(f"night: {time.perf_counter() - t0:.1f} s")
        data_dir = warehouse.parent / "data"
        with duckdb.connect(str(warehouse), read_only=True) as con:
            documents = con.execute(
                """select r.document_id, d.file_name, d.page_count, count(*) from quality.expectation_results r
                   join raw.documents d using (document_id) where r.status = 'failed'
                   group by all order by 1""").fetchall()
        if not documents:
            print("no document with failures: nothing to show")
            return 1
        config = site_config(warehouse, data_dir)
        app = create_app(config)
        cache = data_dir / "review_cache"
        results = []
        server = None
        if CHROMIUM.exists():
            import socket

            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            server = subprocess.Popen([sys.executable, "-m", "pipelines", "review", "serve", "--warehouse",
                                       str(warehouse), "--port", str(port)], cwd=ROOT,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with socket.socket() as sock:
                    if sock.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.2)
        try:
            for document_id, file_name, pages, failed in documents:
                measured = _in_process(app, document_id, cache, args.repeat)
                browser = _browser(f"http://127.0.0.1:{port}", document_id, cache, args.repeat) if server else None
                results.append({"document_id": document_id, "file_name": file_name, "pages": pages,
                                "failures": failed, "in_process": measured, "browser": browser})
                med = statistics.median
                line = (f"{file_name} ({pages} pages, {failed} failures, {measured['images']} page images): "
                        f"server first render {med(measured['first_render_s']):.2f} s, "
                        f"cached {med(measured['cached_s']):.2f} s")
                if browser:
                    line += (f"; in chromium first render {med(browser['first_render_s']):.2f} s, "
                             f"cached {med(browser['cached_s']):.2f} s")
                print(line + f" (median of {args.repeat})")
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
        out = ROOT / "bench" / "results" / f"review-render-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.json"
        out.write_text(json.dumps({"machine": platform.platform(), "cpus": __import__("os").cpu_count(),
                                   "results": results}, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"written to {out}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
