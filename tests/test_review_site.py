"""The steward review site (python -m pipelines review serve) on the real 上海市普陀区财政局 2024 report.

Night 1 finds its four true failures. In a real browser (Debian's chromium, driven by Playwright's
Python API), a steward signs in, opens the document, sees the page image of T1 with the failing
cell outlined (the text under the outline is the cell's, read from the PDF's text layer), records
a decision, reloads and sees it decided. Night 2 runs while the site answers: the failure stays
decided and is not raised again; the parse cache then prints another amount for T1 208 and
night 3 raises it again (reopened). Security: CSRF, unknown ids, hosts, CSP, sessions, escaping.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import CZJ, PROJECT_ROOT, require_corpus

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
DEFECT = "cross_t1_t3_class|208"
REVIEWER, PASSWORD = "王芳", "correct horse battery"


def cli(*argv: str) -> tuple[int, str, str]:
    from pipelines.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def night(landing: Path, warehouse: Path) -> subprocess.Popen:
    """A nightly run in its own process (as cron starts it), while the site keeps serving."""
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines", "run", "--create", "--landing", str(landing), "--warehouse",
         str(warehouse), "--log-level", "WARNING"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(proc: subprocess.Popen) -> None:
    out, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, out


@pytest.fixture(scope="module")
def site_night(tmp_path_factory):
    require_corpus()
    root = tmp_path_factory.mktemp("review_site")
    landing = root / "landing"
    landing.mkdir()
    shutil.copy(CZJ, landing / CZJ.name)
    warehouse = root / "out" / "warehouse.duckdb"
    finish(night(landing, warehouse))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        failed = [r[0] for r in con.execute(
            "select instance_id from quality.expectation_results where status = 'failed'").fetchall()]
        doc_id, archive_path = con.execute("select document_id, archive_path from raw.documents").fetchall()[0]
    return {"root": root, "landing": landing, "warehouse": warehouse, "data_dir": warehouse.parent / "data",
            "failed": failed, "document_id": doc_id, "pdf": warehouse.parent / "data" / archive_path}


def test_night_has_the_four_true_failures_and_their_rectangles(site_night):
    assert len(site_night["failed"]) == 4
    assert any(i.endswith(DEFECT) for i in site_night["failed"])
    with duckdb.connect(str(site_night["warehouse"]), read_only=True) as con:
        rows = con.execute(
            """select ref, page, x0, top, x1, bottom from intermediate.int_residual_cell_positions
               where instance_id like '%|' || ? order by position""", [DEFECT]).fetchall()
    assert [(r[0], r[1]) for r in rows] == [("T1 p6 r15 expenditure 208 amount=326.71", 6),
                                            ("T3 p10 r7 208 total=326.72", 10)]
    assert all(None not in r[2:] for r in rows)


def test_data_docs_say_first_what_is_open_and_the_summary_counts_it(site_night):
    from expectations.docs_summary import START
    from expectations.review_report import short_id
    from pipelines.summary import format_summary, read_summary

    index = (site_night["data_dir"] / "data_docs" / "index.html").read_text(encoding="utf-8")
    assert index.count(START) == 1
    block = index[index.index(START):]
    assert "NOT a clean result: 4 failures are open (0 decided by a steward)" in block
    instance = next(i for i in site_night["failed"] if i.endswith(DEFECT))
    assert short_id(instance) in block and "上海市普陀区财政局 2024" in block and "326.71 万元" in block
    # GX's own page of the night names the failure as a steward reads it, not by a tuple and the instance id
    from expectations.docs_summary import run_pages

    with duckdb.connect(str(site_night["warehouse"]), read_only=True) as con:
        run_id = con.execute("select max(run_id) from quality.expectation_results").fetchall()[0][0]
    [page] = run_pages(site_night["data_dir"] / "data_docs", run_id)
    gx_page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))
    assert f"{short_id(instance)} 上海市普陀区财政局 2024 6, 10 326.71 万元 326.72 万元" in gx_page
    assert instance not in gx_page
    summary = format_summary(read_summary(site_night["warehouse"]), site_night["warehouse"], Path("docs"),
                             Path("archive"), 1.0)
    assert "4 failed (4 open, 0 decided by a steward)" in summary and "review serve" in summary


def test_the_site_reads_each_new_publication_and_holds_no_lock_the_night_needs(tmp_path):
    """One connection per publication: a file renamed over the published one (as the night
    publishes) is read at the next request, never the old one from DuckDB's instance cache."""
    from pipelines.review_site.data import Store

    published = tmp_path / "warehouse.duckdb"

    def publish(value: int) -> None:
        tmp = tmp_path / ".warehouse.duckdb.publishing"
        with duckdb.connect(str(tmp)) as con:
            con.execute("create table t as select ? as v", [value])
        os.chmod(tmp, 0o444)
        os.replace(tmp, published)

    publish(1)
    store = Store(published, tmp_path / "data")
    try:
        for night_value in (1, 2, 3):
            if night_value > 1:
                publish(night_value)
            for _ in range(2):
                with store.connect() as con:
                    assert con.execute("select v from t").fetchall() == [(night_value,)]
        assert store.connections_opened == 3
        # while the site holds the file, another process can still open it read-only
        proc = subprocess.run([sys.executable, "-c", "import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True);"
                               "print(c.execute('select v from t').fetchall())", str(published)],
                              capture_output=True, text=True)
        assert proc.returncode == 0 and "[(3,)]" in proc.stdout
    finally:
        store.close()


# --------------------------------------------------------------------------------------------
# Security, through Starlette's TestClient on an app over the same warehouse, with a data
# folder of its own (its decisions never reach the browser test's)

@pytest.fixture
def secure_site(site_night, tmp_path_factory):
    from pipelines.review_site.app import create_app
    from pipelines.review_site.auth import add_user
    from pipelines.review_site.server import site_config

    data_dir = tmp_path_factory.mktemp("secure_data")
    os.symlink(site_night["data_dir"] / "archive", data_dir / "archive")
    users = data_dir / "users.txt"
    add_user(users, REVIEWER, PASSWORD)
    config = site_config(site_night["warehouse"], data_dir, host="127.0.0.1", users=users)
    app = create_app(config)
    yield app, config, data_dir
    # DuckDB shares one instance per path in a process: a connection left open would serve this
    # process's later connections (the browser test's) the data of the file it opened
    app.state.store.close()


def _client(app):
    from starlette.testclient import TestClient

    return TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _signed_in(app):
    client = _client(app)
    token = _csrf(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": token, "name": REVIEWER, "password": PASSWORD, "next": "/"})
    assert response.status_code == 303, response.text
    return client


def _failure_id(instance_id: str) -> str:
    from expectations.review_report import short_id

    return short_id(instance_id)


def test_pages_need_a_sign_in_and_a_wrong_password_is_refused(secure_site):
    app, _, _ = secure_site
    client = _client(app)
    response = client.get("/")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    token = _csrf(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": token, "name": REVIEWER, "password": "wrong password"})
    assert response.status_code == 401
    assert client.get("/").status_code == 303


def test_every_response_has_a_restrictive_content_security_policy(secure_site, site_night):
    app, _, _ = secure_site
    client = _signed_in(app)
    doc = site_night["document_id"]
    for path in ("/login", "/", f"/documents/{doc}", f"/documents/{'0' * 64}", f"/documents/{doc}/pages/6.png",
                 "/static/site.css", "/export.csv"):
        response = client.get(path)
        csp = response.headers.get("content-security-policy", "")
        assert "default-src 'none'" in csp and "script-src" not in csp, path  # no script at all
        assert "frame-ancestors 'none'" in csp and response.headers["x-content-type-options"] == "nosniff"
    html = client.get(f"/documents/{doc}").text
    assert "<script" not in html and "http://" not in html and "https://" not in html


def test_a_form_without_the_csrf_token_is_refused(secure_site, site_night):
    app, _, data_dir = secure_site
    client = _signed_in(app)
    doc = site_night["document_id"]
    instance = next(i for i in site_night["failed"] if i.endswith(DEFECT))
    url = f"/documents/{doc}/failures/{_failure_id(instance)}/decide"
    form = {"decision": "confirmed_defect", "comment": "T1 326.71, T3 326.72"}
    assert client.post(url, data=form).status_code == 403
    assert client.post(url, data={**form, "csrf_token": "forged"}).status_code == 403
    # a token of another session does not work either
    other = _client(app)
    assert client.post(url, data={**form, "csrf_token": _csrf(other.get("/login").text)}).status_code == 403
    assert not (data_dir / "reviews" / "decisions.jsonl").exists()
    # sign-out is a form too
    assert client.post("/logout", data={}).status_code == 403


def test_the_reviewer_is_the_login_and_what_they_type_is_escaped(secure_site, site_night):
    app, _, data_dir = secure_site
    client = _signed_in(app)
    doc = site_night["document_id"]
    instance = next(i for i in site_night["failed"] if "narrative_share" in i)
    fid = _failure_id(instance)
    token = _csrf(client.get(f"/documents/{doc}").text)
    response = client.post(f"/documents/{doc}/failures/{fid}/decide",
                           data={"csrf_token": token, "decision": "within_tolerance", "by": "mallory",
                                 "decided_by": "mallory", "comment": "<script>alert(1)</script> =1+1"})
    assert response.status_code == 303
    record = json.loads((data_dir / "reviews" / "decisions.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert record["decided_by"] == REVIEWER and record["instance_id"] == instance
    html = client.get(f"/documents/{doc}").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    csv_text = client.get("/export.csv").content.decode("utf-8-sig")
    assert "<script>alert(1)</script> =1+1" in csv_text  # data in a CSV: not a formula, kept as typed
    assert fid in csv_text and REVIEWER in csv_text
    # a comment that is a formula is written as text in the CSV
    token = _csrf(client.get(f"/documents/{doc}").text)
    client.post(f"/documents/{doc}/failures/{fid}/decide",
                data={"csrf_token": token, "decision": "within_tolerance", "comment": "=HYPERLINK(\"x\")"})
    assert "'=HYPERLINK" in client.get("/export.csv").content.decode("utf-8-sig")


def test_only_document_ids_known_to_the_warehouse(secure_site, site_night):
    app, _, _ = secure_site
    client = _signed_in(app)
    doc = site_night["document_id"]
    for path in (f"/documents/{'0' * 64}", f"/documents/{doc[:12]}", "/documents/..%2F..%2Fetc%2Fpasswd",
                 f"/documents/{'0' * 64}/pages/1.png", f"/documents/{'0' * 64}/original.pdf",
                 f"/documents/{doc}/pages/0.png", f"/documents/{doc}/pages/999.png",
                 f"/documents/{doc}/pages/..%2F..%2Fetc%2Fpasswd.png",
                 f"/documents/{doc}/failures/ffffffffff/pages/6.png"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/documents/{doc}/original.pdf").content[:5] == b"%PDF-"


def test_other_hosts_and_expired_sessions(secure_site, monkeypatch):
    app, _, _ = secure_site
    client = _signed_in(app)
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 400  # DNS rebinding
    assert client.get("/").status_code == 200
    import pipelines.review_site.auth as auth

    later = time.time() + app.state.auth.session_seconds + 60
    monkeypatch.setattr(auth.time, "time", lambda: later)
    response = client.get("/")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_another_address_requires_a_users_file(site_night, tmp_path):
    from expectations.review import ReviewError
    from pipelines.review_site.server import site_config

    with pytest.raises(ReviewError, match="requires a users file"):
        site_config(site_night["warehouse"], tmp_path, host="0.0.0.0")
    code, out, err = cli("review", "serve", "--warehouse", str(site_night["warehouse"]), "--data-dir", str(tmp_path),
                         "--host", "0.0.0.0", "--port", "8049")
    assert code == 2 and out == "" and err.count("\n") == 1 and "requires a users file" in err
    code, out, err = cli("review", "serve", "--warehouse", str(site_night["warehouse"]), "--host", "0.0.0.0",
                         "--users", str(tmp_path / "none.txt"))
    assert code == 2 and "not found" in err
    # adduser writes the file (argon2id), and with it the address is accepted
    users = tmp_path / "users.txt"
    proc = subprocess.run([sys.executable, "-m", "pipelines", "review", "adduser", "李雷", "--users", str(users),
                           "--password-stdin"], input="a long password\n", text=True, capture_output=True,
                          cwd=PROJECT_ROOT)
    assert proc.returncode == 0, proc.stderr
    assert users.read_text(encoding="utf-8").splitlines()[-1].startswith("李雷:$argon2id$")
    assert site_config(site_night["warehouse"], tmp_path, host="0.0.0.0", users=users).users_path == users


# --------------------------------------------------------------------------------------------
# The browser

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(site_night):
    from pipelines.review_site.auth import add_user

    users = site_night["root"] / "users.txt"
    add_user(users, REVIEWER, PASSWORD)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines", "review", "serve", "--warehouse", str(site_night["warehouse"]),
         "--port", str(port), "--users", str(users)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the review site did not start: {proc.stdout.read()}")
        time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)


def _outlined_box(marked: bytes, plain: bytes, scale: float):
    """The rectangle (PDF points) inside the red outline: pixels of the outline colour that the
    plain page does not have."""
    from PIL import Image

    from pipelines.review_site.pages import CELL_COLOUR

    marked_image = Image.open(io.BytesIO(marked)).convert("RGB")
    plain_image = Image.open(io.BytesIO(plain)).convert("RGB")
    assert marked_image.size == plain_image.size
    width, height = marked_image.size
    a, b = marked_image.load(), plain_image.load()
    xs, ys = [], []
    for y in range(height):
        for x in range(width):
            if a[x, y] == CELL_COLOUR and b[x, y] != CELL_COLOUR:
                xs.append(x)
                ys.append(y)
    assert xs, "no outline on the page image"
    line = max(2, round(2 * scale))
    x0, top, x1, bottom = min(xs) + line, min(ys) + line, max(xs) - line + 1, max(ys) - line + 1
    assert (x1 - x0) * (bottom - top) < 0.02 * width * height  # one cell, not the page
    return x0 / scale, top / scale, x1 / scale, bottom / scale


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium): "
                                                   "apt-get install chromium (.ci/run does)")
def test_a_steward_reviews_a_failure_in_the_browser_across_nights(site_night, server):
    import pdfplumber
    from playwright.sync_api import sync_playwright

    from tests.test_review import _change_t1_208

    doc = site_night["document_id"]
    instance = next(i for i in site_night["failed"] if i.endswith(DEFECT))
    fid = _failure_id(instance)
    article = f"article#f-{fid}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server + "/")
            assert "/login" in page.url  # every page needs a sign-in
            page.fill("input[name=name]", REVIEWER)
            page.fill("input[name=password]", PASSWORD)
            page.click("form.login button[type=submit]")
            page.wait_for_url(server + "/")
            assert "上海市普陀区财政局" in page.inner_text("table.documents")
            row = page.locator("table.documents tbody tr").first
            assert row.locator("td").nth(4).inner_text().strip() == "4"  # open failures

            page.click("table.documents a")
            page.wait_for_url(f"{server}/documents/{doc}")
            failure = page.locator(article)
            assert failure.locator(".badge").get_attribute("data-state") == "open"
            text = failure.inner_text()
            assert "收入支出决算总表各类支出" in page.inner_text("section.identity h2 >> nth=0") or "收入支出决算总表" in text
            assert "表1 收入支出决算总表" in text and "社会保障和就业支出（208）" in text and "326.71" in text
            assert "第6页" in text and "-0.01" in text

            image = failure.locator("img[data-page='6']")
            image.scroll_into_view_if_needed()
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
            assert image.evaluate("img => img.naturalWidth") > 500
            scale = float(image.get_attribute("data-scale"))
            marked = page.request.get(server + image.get_attribute("src"))
            plain = page.request.get(f"{server}/documents/{doc}/pages/6.png")
            assert marked.ok and plain.ok and marked.headers["content-type"] == "image/png"
            box = _outlined_box(marked.body(), plain.body(), scale)
            with pdfplumber.open(site_night["pdf"]) as pdf:
                inside = pdf.pages[5].crop(box).extract_text()
            assert inside.strip() == "326.71", (box, inside)

            failure.locator("input[value=confirmed_defect]").check()
            failure.locator("textarea[name=comment]").fill("T1 印 326.71，T3 印 326.72（p6, p10）")
            failure.locator("button[type=submit]").click()
            page.wait_for_load_state()
            page.reload()
            failure = page.locator(article)
            assert failure.locator(".badge").get_attribute("data-state") == "decided"
            assert REVIEWER in failure.locator(".decision").inner_text()
            assert "326.71" in failure.locator("details.history").text_content()

            # night 2, while the site answers
            proc = night(site_night["landing"], site_night["warehouse"])
            answered = 0
            while proc.poll() is None:
                assert page.request.get(f"{server}/documents/{doc}").ok
                answered += 1
                time.sleep(1)
            finish(proc)
            assert answered > 5
            page.reload()
            failure = page.locator(article)
            assert failure.locator(".badge").get_attribute("data-state") == "decided"  # not raised again
            page.goto(server + "/")
            row = page.locator("table.documents tbody tr").first
            assert [row.locator("td").nth(i).inner_text().strip() for i in (4, 5)] == ["3", "1"]
            with duckdb.connect(str(site_night["warehouse"]), read_only=True) as con:
                open_ids = {r[0] for r in con.execute("select instance_id from quality.open_failures").fetchall()}
            assert instance not in open_ids and len(open_ids) == 3

            # a value changes: night 3 raises it again
            _change_t1_208(site_night["data_dir"], "326.70")
            finish(night(site_night["landing"], site_night["warehouse"]))
            page.goto(f"{server}/documents/{doc}")
            failure = page.locator(article)
            assert failure.locator(".badge").get_attribute("data-state") == "reopened"
            assert "326.70" in failure.inner_text() and "values changed since" in failure.inner_text()
        finally:
            browser.close()


# --------------------------------------------------------------------------------------------
# Rotated pages: the outline lands on the cell as the page is rendered

def _text_in(pdf_path: Path, page_index: int, box) -> str:
    """The characters of the PDF's text layer (pdfplumber) inside `box` (points, top-left origin
    of the page as rendered), read in the direction they run (sideways text runs up the page)."""
    import pdfplumber

    with pdfplumber.open(pdf_path) as pdf:
        chars = [c for c in pdf.pages[page_index].crop(box).chars if c["text"].strip()]

    def along(c):
        a, b = c["matrix"][0], c["matrix"][1]  # the direction of the text's baseline (y up)
        return a * (c["x0"] + c["x1"]) / 2 - b * (c["top"] + c["bottom"]) / 2

    return "".join(c["text"] for c in sorted(chars, key=along))


@pytest.mark.parametrize("mode", ["sideways_under_rotate", "rotate_only", "sideways_text"])
def test_the_outline_is_on_the_failing_cell_of_a_rotated_page(tmp_path, mode):
    """The parser reads a rotated page from an upright copy (ingest/readable.py), so the cell's
    rectangle is in that copy's frame; PDFium renders the original as a viewer shows it. Before
    PageFrame, a `/Rotate 90` page of upright text and a page of sideways text got the outline
    at the unrotated coordinates (over '支出' and over nothing)."""
    from ingest.parse import parse_pdf
    from pipelines.review_site.pages import Mark, render_page
    from tests.bad_inputs import rotated_pdf

    require_corpus()
    pdf = rotated_pdf(CZJ, tmp_path / f"{mode}.pdf", mode)
    parsed = parse_pdf(pdf, "x")
    assert parsed.status == "loaded"
    cell = next(c for c in parsed.cells
                if c.table_key == "t1_summary" and c.code == "208" and c.side == "expenditure")
    assert (cell.page, cell.raw_text) == (6, "326.71") and cell.bbox
    plain = render_page(pdf, tmp_path / "cache", "x", cell.page)
    marked = render_page(pdf, tmp_path / "cache", "x", cell.page, [Mark(1, box=cell.bbox)])
    assert (plain.width, plain.height) == (marked.width, marked.height)
    if mode != "sideways_under_rotate":
        assert plain.width > plain.height  # a viewer shows these sideways: so does the image
    box = _outlined_box(marked.path.read_bytes(), plain.path.read_bytes(), marked.scale)
    assert _text_in(pdf, cell.page - 1, box) == "326.71", box


def test_parser_problems_are_counted_apart_from_identities_with_nothing_to_check(secure_site, site_night):
    """The 财政局 report prints no total twice: repeated_total_agrees has nothing to check there.
    That is not a parser problem, so the listing counts none and the document page shows it
    under 'nothing to check', not under 'parser problems'."""
    app, _, _ = secure_site
    client = _signed_in(app)
    listing = client.get("/").text
    row = re.search(r"上海市普陀区财政局.*?</tr>", listing, re.S).group(0)
    cells = re.findall(r'<td class="num">(\d+)</td>', row)
    assert cells == ["4", "0", "0"]  # open, decided, parser problems
    page = client.get(f"/documents/{site_night['document_id']}").text
    assert "Parser problems:" not in page
    nothing = page[page.index("Nothing to check:"):]
    assert "repeated_total_agrees" in nothing
