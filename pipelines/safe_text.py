"""Untrusted text made safe for the two places people read it: a terminal and a spreadsheet.

File names, department names (read from the PDF), URLs, reviewers' names and comments come from
outside. Printed raw, ``\\x1b[2J`` clears the operator's screen, ``\\n`` forges a line of the
summary and a right-to-left override (U+202E) reverses what follows it. Written raw into a CSV,
``=HYPERLINK(...)`` or ``+cmd|...`` is run as a formula by the spreadsheet that opens it.

* :func:`printable` for every human-facing line (summary, status, review list, errors, logs):
  control characters, Unicode format characters that reorder or hide text, and the lone
  surrogates a non-UTF-8 file name decodes to become visible escapes (``\\x1b``, ``\\u202e``);
  everything else, Chinese included, is kept as it is.
* :func:`csv_safe` for every cell of an exported CSV (OWASP, "CSV Injection"): a text starting
  with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a single quote, so
  the spreadsheet shows it as text. A plain number (``-12.30``) is left alone: it is data, and a
  spreadsheet reads it as a number, never as a formula.
"""
from __future__ import annotations

import re
import unicodedata

# Unicode categories escaped: Cc (C0/C1 controls, DEL), Cf (format: bidi overrides and isolates,
# zero-width joiners...), Cs (lone surrogates), Zl/Zp (line and paragraph separators), Co, Cn.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: object) -> str:
    """`text` (anything; None gives '') with every character that could act on a terminal or
    reorder a line replaced by a visible escape. Backslashes are kept as they are: the escape
    is for reading, never parsed back."""
    if text is None:
        return ""
    text = str(text)
    if text.isprintable() and text.isascii():  # the common case, fast
        return text
    return "".join(_escape(c) if unicodedata.category(c) in _ESCAPED_CATEGORIES else c for c in text)


def csv_safe(value: object) -> object:
    """A CSV cell that a spreadsheet never evaluates: text starting with = + - @ tab or CR gets a
    leading single quote (OWASP); numbers, None and other text are returned unchanged."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value
