"""Make GX Data Docs readable offline.

GX 1.24 renders pages that load Bootstrap, bootstrap-table, jQuery, popper, Font Awesome and
vega from public CDNs, and a logo from an S3 bucket. None of those files ships with the
``great_expectations`` package (it only ships its own stylesheet, fonts and images, which GX
already copies to ``<site>/static/``). So after each build we:

* remove every ``<script src>`` / ``<link href>`` that points outside the site (http, https or
  protocol-relative ``//``), whatever the host, and link our own small stand-ins instead
  (``expectations/static/datadocs-offline.{css,js}``, copied to ``<site>/static/offline/``);
* point external ``<img>`` at the copy in ``<site>/static/images/`` when GX ships one (the logo),
  else drop the ``src``;
* replace external CSS ``url(...)`` with ``none`` and drop external ``@import``;
* drop GX's newsletter footer (an external link on every page);
* repair relative links to ``static/`` that do not resolve (GX 1.24 links the favicon of
  validation pages one directory level too high).

The rewrite is idempotent (pages already processed are left as they are), so it can run over
the whole site after every incremental build. :func:`find_external_references` is the check
used by the runner and the tests.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

ASSET_DIR = Path(__file__).with_name("static")
ASSET_FILES = ("datadocs-offline.css", "datadocs-offline.js")
SITE_ASSET_SUBDIR = Path("static") / "offline"
MARKER = "<!-- fiscal-warehouse: offline assets -->"

_EXTERNAL = r"""(?:https?:)?//"""
_SCRIPT_EXTERNAL_RE = re.compile(
    r"""<script\b[^>]*?\bsrc\s*=\s*["']?""" + _EXTERNAL + r"""[^>]*>\s*</script\s*>\s*""",
    re.IGNORECASE,
)
_LINK_EXTERNAL_RE = re.compile(
    r"""<link\b[^>]*?\bhref\s*=\s*["']?""" + _EXTERNAL + r"""[^>]*?/?>\s*""",
    re.IGNORECASE,
)
_IMG_EXTERNAL_SRC_RE = re.compile(
    r"""(<img\b[^>]*?\bsrc\s*=\s*)(["'])(""" + _EXTERNAL + r"""[^"']*)\2""",
    re.IGNORECASE,
)
_CSS_URL_EXTERNAL_RE = re.compile(
    r"""url\(\s*(["']?)""" + _EXTERNAL + r"""[^)]*\)""",
    re.IGNORECASE,
)
_CSS_IMPORT_EXTERNAL_RE = re.compile(
    r"""@import\s+(?:url\()?\s*["']?""" + _EXTERNAL + r"""[^;]*;""",
    re.IGNORECASE,
)
_NEWSLETTER_FOOTER_RE = re.compile(
    r"""<footer>\s*<p>[^<]*<a href="https?://greatexpectations\.io/newsletter[^"]*">[^<]*</a>\s*</p>\s*</footer>\s*""",
    re.IGNORECASE,
)
_HEAD_RE = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_LOCAL_STATIC_REF_RE = re.compile(r"""((?:src|href)\s*=\s*)(["'])((?:\./|\.\./)*static/[^"'#?]+)\2""", re.IGNORECASE)

# what the checker flags: a resource the browser would fetch from outside the site
_CHECK_PATTERNS = (
    ("script", re.compile(r"""<script\b[^>]*?\bsrc\s*=\s*["']?(""" + _EXTERNAL + r"""[^"'\s>]*)""", re.IGNORECASE)),
    ("link", re.compile(r"""<link\b[^>]*?\bhref\s*=\s*["']?(""" + _EXTERNAL + r"""[^"'\s>]*)""", re.IGNORECASE)),
    ("img", re.compile(r"""<(?:img|source|iframe|embed)\b[^>]*?\bsrc\s*=\s*["']?(""" + _EXTERNAL + r"""[^"'\s>]*)""", re.IGNORECASE)),
    ("css-url", re.compile(r"""url\(\s*["']?(""" + _EXTERNAL + r"""[^)"']*)""", re.IGNORECASE)),
    ("css-import", re.compile(r"""@import\s+(?:url\()?\s*["']?(""" + _EXTERNAL + r"""[^"')\s;]*)""", re.IGNORECASE)),
    ("cdn", re.compile(r"""((?:https?:)?//cdn[^"'\s)>]*)""", re.IGNORECASE)),
)


@dataclass(frozen=True)
class ExternalReference:
    file: Path
    kind: str
    url: str


def make_site_offline(site_dir: Path) -> list[Path]:
    """Rewrite every ``.html`` (and ``.css``) under ``site_dir``; returns the files changed."""
    site_dir = Path(site_dir)
    target = site_dir / SITE_ASSET_SUBDIR
    target.mkdir(parents=True, exist_ok=True)
    for name in ASSET_FILES:
        shutil.copyfile(ASSET_DIR / name, target / name)

    changed: list[Path] = []
    for html in sorted(site_dir.rglob("*.html")):
        text = html.read_text(encoding="utf-8")
        new = _rewrite_html(text, html, site_dir)
        if new != text:
            html.write_text(new, encoding="utf-8")
            changed.append(html)
    for css in sorted(site_dir.rglob("*.css")):
        if target in css.parents:
            continue
        text = css.read_text(encoding="utf-8")
        new = _rewrite_css(text)
        if new != text:
            css.write_text(new, encoding="utf-8")
            changed.append(css)
    return changed


def find_external_references(site_dir: Path) -> list[ExternalReference]:
    """Every external script/stylesheet/image/CSS url (and any ``//cdn`` mention) left."""
    found: list[ExternalReference] = []
    site_dir = Path(site_dir)
    for path in sorted([*site_dir.rglob("*.html"), *site_dir.rglob("*.css")]):
        text = path.read_text(encoding="utf-8", errors="replace")
        for kind, pattern in _CHECK_PATTERNS:
            for match in pattern.finditer(text):
                found.append(ExternalReference(path, kind, match.group(1)))
    return found


def _rel_prefix(html: Path, site_dir: Path) -> str:
    rel = os.path.relpath(site_dir, html.parent)
    return "" if rel == "." else rel.replace(os.sep, "/") + "/"


def _rewrite_css(text: str) -> str:
    text = _CSS_IMPORT_EXTERNAL_RE.sub("", text)
    return _CSS_URL_EXTERNAL_RE.sub("none", text)


def _rewrite_html(text: str, html: Path, site_dir: Path) -> str:
    prefix = _rel_prefix(html, site_dir)
    text = _SCRIPT_EXTERNAL_RE.sub("", text)
    text = _LINK_EXTERNAL_RE.sub("", text)
    text = _NEWSLETTER_FOOTER_RE.sub("", text)

    def _img(match: re.Match[str]) -> str:
        url = match.group(3)
        name = url.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        local = site_dir / "static" / "images" / name
        if name and local.is_file():
            return f"{match.group(1)}{match.group(2)}{prefix}static/images/{name}{match.group(2)}"
        return f'{match.group(1)}{match.group(2)}{match.group(2)} data-offline-removed="1"'

    text = _IMG_EXTERNAL_SRC_RE.sub(_img, text)
    text = _rewrite_css(text)

    def _static(match: re.Match[str]) -> str:
        ref = match.group(3)
        if (html.parent / ref).exists():
            return match.group(0)
        tail = ref[ref.index("static/"):]
        if (site_dir / tail).exists():
            return f"{match.group(1)}{match.group(2)}{prefix}{tail}{match.group(2)}"
        return match.group(0)

    text = _LOCAL_STATIC_REF_RE.sub(_static, text)

    if MARKER not in text:
        tags = (
            f"\n    {MARKER}\n"
            f'    <link rel="stylesheet" href="{prefix}{SITE_ASSET_SUBDIR.as_posix()}/datadocs-offline.css">\n'
            f'    <script src="{prefix}{SITE_ASSET_SUBDIR.as_posix()}/datadocs-offline.js"></script>\n'
        )
        head = _HEAD_RE.search(text)
        if head:
            text = text[: head.end()] + tags + text[head.end():]
        else:
            text = tags + text
    return text
