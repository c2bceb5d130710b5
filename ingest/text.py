"""Small text helpers shared by the parsers: normalising labels and reading printed amounts."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_WS = re.compile(r"\s+")
# Leading enumerations: 一、 （一） (1) 1、 1. 1．
_ENUM = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．](?!\d))")
_AMOUNT = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^-?\d+(?:\.\d+)?$")


def squash(text: str | None) -> str:
    """Remove all whitespace (PDF text wraps and letter-spaces labels: `因 公 出 国`)."""
    return _WS.sub("", text or "")


def normalise_label(text: str | None) -> str:
    """A label as printed, without whitespace and leading enumeration, for alias lookup."""
    label = squash(text)
    return _ENUM.sub("", label)


def parse_amount(text: str | None) -> Decimal | None:
    """Read a printed amount exactly; blank or a dash means no value.

    Returns None for blank cells. Raises ValueError for text that is not a number, so the caller
    can decide whether the cell was a label.
    """
    raw = squash(text).replace("，", ",")
    if raw in ("", "-", "—", "--", "－"):
        return None
    if raw.startswith("(") and raw.endswith(")"):
        raw = "-" + raw[1:-1]
    if not _AMOUNT.match(raw):
        raise ValueError(f"not an amount: {text!r}")
    try:
        return Decimal(raw.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex guards this
        raise ValueError(f"not an amount: {text!r}") from exc


def looks_like_amount(text: str | None) -> bool:
    """True for printed money such as `2,946.25` or `0.00` (two decimals, as in every table)."""
    raw = squash(text)
    return bool(re.fullmatch(r"-?\d{1,3}(?:,\d{3})*\.\d{1,2}|-?\d+\.\d{1,2}", raw))
