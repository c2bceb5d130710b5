"""The review site: a Starlette application with server-rendered Jinja2 templates, plain forms
and no JavaScript at all (see pipelines/review_site/__init__.py for what it shows)."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from expectations.review import DECISIONS, ReviewError, append_decision, make_decision
from expectations.review_cells import amount_in_wan, format_amount
from expectations.review_report import STATE_LABELS, write_csv
from pipelines.safe_text import printable

from .auth import SESSION_COOKIE, Authenticator, Session
from .data import STATES, NotFound, Store, failure_pages, group_by_identity
from .pages import DEFAULT_SCALE, Mark, archived_pdf, render_page

HERE = Path(__file__).resolve().parent

#: No script at all, nothing from another origin, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

DECISION_NAMES = {
    "confirmed_defect": "确认为报告错误 (confirmed defect)",
    "within_tolerance": "在容差之内 (within tolerance)",
    "parser_error": "解析错误 (parser error)",
    "not_applicable": "不适用 (not applicable)",
}
STATE_NAMES = {"new": "待审 open", "decided": "已决定 decided", "reopened": "重新打开 reopened"}
KIND_NAMES = {"final_accounts": "部门决算", "budget": "部门预算", "template": "模板", "scanned": "扫描件",
              "encrypted": "加密", "corrupt": "损坏", "not_a_report": "非报告", "empty": "空文件"}


class SecurityHeaders:
    """Pure ASGI middleware: every response carries the CSP and the other headers above."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() not in dict(SECURITY_HEADERS)]
                message["headers"] = headers + SECURITY_HEADERS
            await send(message)

        return await self.app(scope, receive, send_with_headers)


@dataclass
class SiteConfig:
    warehouse: Path
    data_dir: Path
    users_path: Path | None
    session_seconds: int
    allowed_hosts: list[str]
    secure_cookie: bool = False
    scale: float = DEFAULT_SCALE


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,  # every value from a PDF, a reviewer or the warehouse is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["amount"] = lambda v: format_amount(v) if v is not None else "—"
    env.filters["wan"] = lambda v, unit: (format_amount(amount_in_wan(v, unit)) if amount_in_wan(v, unit) is not None else "—")
    env.filters["printable"] = printable
    env.globals.update(DECISIONS=DECISIONS, DECISION_NAMES=DECISION_NAMES, STATE_NAMES=STATE_NAMES,
                       STATE_LABELS=STATE_LABELS, KIND_NAMES=KIND_NAMES, urlencode=urlencode)
    return env


def create_app(config: SiteConfig, authenticator: Authenticator | None = None) -> Starlette:
    from .auth import site_secret

    store = Store(config.warehouse, config.data_dir)
    auth = authenticator or Authenticator(site_secret(config.data_dir), config.users_path, config.session_seconds)
    env = _environment()

    def page(request: Request, template: str, status: int = 200, session: Session | None = None, **context) -> HTMLResponse:
        context.setdefault("error", None)
        html = env.get_template(template).render(
            user=session.user if session else None, csrf=session.csrf if session else "",
            with_passwords=auth.with_passwords, **context)
        return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})

    def session_of(request: Request) -> Session | None:
        return auth.loads(request.cookies.get(SESSION_COOKIE))

    def set_session(response: Response, session: Session) -> Response:
        response.set_cookie(SESSION_COOKIE, auth.dumps(session), max_age=auth.session_seconds, httponly=True,
                            samesite="strict", secure=config.secure_cookie, path="/")
        return response

    def signed_in(request: Request) -> Session | None:
        session = session_of(request)
        return session if session and session.user else None

    def to_login(request: Request) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)

    def not_found(request: Request, session: Session | None, what: str = "document") -> HTMLResponse:
        return page(request, "message.html", 404, session, title="未找到 Not found",
                    message=f"No such {what} in the published warehouse.")

    def forbidden(request: Request, session: Session | None) -> HTMLResponse:
        return page(request, "message.html", 403, session, title="拒绝 Forbidden",
                    message="The form's security token is missing or stale: reload the page and submit again.")

    def unavailable(request: Request, session: Session | None, exc: Exception) -> HTMLResponse:
        return page(request, "message.html", 503, session, title="仓库不可用 Warehouse unavailable",
                    message=str(exc))

    # --- sign-in ---------------------------------------------------------------------------
    def _next(value: str | None) -> str:
        return value if value and re.fullmatch(r"/[A-Za-z0-9/_.?=&%-]*", value) and not value.startswith("//") else "/"

    async def login(request: Request):
        session = session_of(request)
        if request.method == "GET":
            fresh = session or auth.new_session(None)
            response = page(request, "login.html", session=fresh, next=_next(request.query_params.get("next")))
            return set_session(response, fresh) if session is None else response
        form = await request.form()
        if not auth.csrf_ok(session, form.get("csrf_token")):
            return forbidden(request, session)
        name = await run_in_threadpool(auth.authenticate, str(form.get("name") or ""), str(form.get("password") or ""))
        if name is None:
            return page(request, "login.html", 401, session, next=_next(form.get("next")),
                        error="用户名或密码不正确 Wrong name or password.")
        response = RedirectResponse(_next(form.get("next")), status_code=303)
        return set_session(response, auth.new_session(name))  # a new token after sign-in

    async def logout(request: Request):
        session = session_of(request)
        form = await request.form()
        if not auth.csrf_ok(session, form.get("csrf_token")):
            return forbidden(request, session)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # --- documents -------------------------------------------------------------------------
    def documents(request: Request):
        session = signed_in(request)
        if session is None:
            return to_login(request)
        try:
            docs, identities = store.documents()
        except ReviewError as exc:
            return unavailable(request, session, exc)
        regions = sorted({d.region for d in docs if d.region})
        years = sorted({d.fiscal_year for d in docs if d.fiscal_year}, reverse=True)
        q = request.query_params
        region = q.get("region") if q.get("region") in regions else ""
        year = q.get("year") if q.get("year", "").isdigit() and int(q["year"]) in years else ""
        identity = q.get("identity") if q.get("identity") in identities else ""
        state = q.get("state") if q.get("state") in STATES else ""
        shown = [
            d for d in docs
            if (not region or d.region == region) and (not year or d.fiscal_year == int(year))
            and (not identity or identity in d.identities)
            and (not state or (state == "open" and d.open) or (state == "decided" and d.decided)
                 or (state == "reopened" and d.reopened) or (state == "problems" and d.problems)
                 or (state == "none" and not d.open and not d.decided))
        ]
        totals = {"open": sum(d.open for d in docs), "decided": sum(d.decided for d in docs),
                  "problems": sum(d.problems for d in docs)}
        return page(request, "documents.html", session=session, docs=shown, total=len(docs), totals=totals,
                    regions=regions, years=years, identities=identities,
                    filters={"region": region, "year": year, "identity": identity, "state": state})

    def _document_context(document_id: str):
        doc = store.document(document_id)
        found, not_evaluated, history = store.document_failures(document_id)
        views = []
        for identity, group in group_by_identity(found).items():
            items = []
            for failure in group:
                items.append({"failure": failure, "pages": failure_pages(failure),
                              "history": history.get(failure.row["instance_id"], [])})
            views.append({"identity": identity, "description_zh": group[0].row["description_zh"],
                          "description_en": group[0].row["description_en"],
                          "severity": group[0].row["severity"], "items": items})
        return doc, views, not_evaluated

    def document(request: Request):
        session = signed_in(request)
        if session is None:
            return to_login(request)
        try:
            doc, views, not_evaluated = _document_context(request.path_params["document_id"])
        except NotFound:
            return not_found(request, session)
        except ReviewError as exc:
            return unavailable(request, session, exc)
        return page(request, "document.html", session=session, doc=doc, groups=views, not_evaluated=not_evaluated,
                    scale=config.scale)

    async def decide(request: Request):
        session = signed_in(request)
        form = await request.form()
        if session is None:
            return to_login(request) if not form.get("csrf_token") else forbidden(request, session_of(request))
        if not auth.csrf_ok(session, form.get("csrf_token")):
            return forbidden(request, session)
        document_id, failure_id = request.path_params["document_id"], request.path_params["failure_id"]
        try:
            failure = await run_in_threadpool(store.failure, document_id, failure_id)
            decision = make_decision(failure.row, str(form.get("decision") or ""), session.user,
                                     str(form.get("comment") or ""))
        except NotFound:
            return not_found(request, session, "failure")
        except ReviewError as exc:
            message = str(exc).replace("--comment", "the comment").replace("--by", "the reviewer")
            doc, views, not_evaluated = await run_in_threadpool(_document_context, document_id)
            return page(request, "document.html", 400, session, doc=doc, groups=views, not_evaluated=not_evaluated,
                        scale=config.scale, error=message)
        await run_in_threadpool(append_decision, store.decisions_path, decision)
        return RedirectResponse(f"/documents/{document_id}#f-{failure_id}", status_code=303)

    # --- images and files ------------------------------------------------------------------
    def _page_number(request: Request, doc) -> int | None:
        text = request.path_params["page"]
        if not text.isdigit():
            return None
        number = int(text)
        return number if doc.page_count and 1 <= number <= doc.page_count else None

    def _png(rendered) -> FileResponse:
        return FileResponse(rendered.path, media_type="image/png",
                            headers={"cache-control": "private, max-age=3600"})

    def failure_page_image(request: Request):
        session = signed_in(request)
        if session is None:
            return Response(status_code=401)
        try:
            doc = store.document(request.path_params["document_id"])
            failure = store.failure(doc.document_id, request.path_params["failure_id"])
            number = _page_number(request, doc)
            if number is None:
                raise NotFound("page")
            pdf = archived_pdf(store.data_dir, doc.archive_path or "")
        except (NotFound, FileNotFoundError):
            return not_found(request, session, "page")
        marks = [Mark(p.position, box=p.box) if p.is_cell else Mark(p.position, sentence=p.sentence, text=p.raw_text)
                 for p in failure.positions if p.page == number and (p.box or not p.is_cell)]
        return _png(render_page(pdf, store.cache_dir, doc.document_id, number, marks, config.scale))

    def page_image(request: Request):
        session = signed_in(request)
        if session is None:
            return Response(status_code=401)
        try:
            doc = store.document(request.path_params["document_id"])
            number = _page_number(request, doc)
            if number is None:
                raise NotFound("page")
            pdf = archived_pdf(store.data_dir, doc.archive_path or "")
        except (NotFound, FileNotFoundError):
            return not_found(request, session, "page")
        return _png(render_page(pdf, store.cache_dir, doc.document_id, number, [], config.scale))

    def original(request: Request):
        session = signed_in(request)
        if session is None:
            return to_login(request)
        try:
            doc = store.document(request.path_params["document_id"])
            pdf = archived_pdf(store.data_dir, doc.archive_path or "")
        except (NotFound, FileNotFoundError):
            return not_found(request, session)
        return FileResponse(pdf, media_type="application/pdf", filename=f"{doc.document_id[:12]}.pdf",
                            content_disposition_type="attachment")

    def export(request: Request):
        session = signed_in(request)
        if session is None:
            return to_login(request)
        from expectations.review_report import failures_from

        try:
            with store.connect() as con:
                found = failures_from(con, store.decisions(), include_decided=True)
        except ReviewError as exc:
            return unavailable(request, session, exc)
        buffer = io.StringIO()
        buffer.write("\ufeff")  # UTF-8 BOM: spreadsheets then show the Chinese text
        write_csv(found, csv.writer(buffer))
        return Response(buffer.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="failures.csv"',
                                 "cache-control": "no-store"})

    def favicon(request: Request):
        return Response(status_code=204)

    routes = [
        Route("/", documents),
        Route("/favicon.ico", favicon),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/export.csv", export),
        Route("/documents/{document_id}", document),
        Route("/documents/{document_id}/original.pdf", original),
        Route("/documents/{document_id}/pages/{page}.png", page_image),
        Route("/documents/{document_id}/failures/{failure_id}/pages/{page}.png", failure_page_image),
        Route("/documents/{document_id}/failures/{failure_id}/decide", decide, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders), Middleware(TrustedHostMiddleware, allowed_hosts=config.allowed_hosts)]
    app = Starlette(routes=routes, middleware=middleware)
    app.state.store = store
    app.state.auth = auth
    return app
