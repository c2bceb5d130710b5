"""The identity catalogue (``expectations/catalogue.yml``) as typed, validated objects.

The YAML file is the single place where an accounting identity is declared for validation:
its texts, severity, tolerance and the dbt model holding its residual rows. Everything else
(the GX suite, the results table's descriptions) is derived from it, so adding an identity is
one YAML entry plus its residual SQL in dbt.

Validation is strict on purpose: unknown fields, duplicate ids, a missing field or a malformed
value raise :class:`CatalogueError` naming the entry, instead of silently using a default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterator, Literal, Mapping

import yaml

DEFAULT_CATALOGUE_PATH = Path(__file__).with_name("catalogue.yml")
DEFAULT_TOLERANCE_PER_TERM = Decimal("0.01")

Severity = Literal["error", "warning"]
SEVERITIES: tuple[str, ...] = ("error", "warning")

REQUIRED_FIELDS: tuple[str, ...] = (
    "id",
    "description_zh",
    "description_en",
    "severity",
    "source_model",
)
OPTIONAL_FIELDS: tuple[str, ...] = ("tolerance_per_term", "group", "tables", "empty_table_is_zero")
GROUPS: tuple[str, ...] = ("within_table", "cross_table", "narrative", "completeness", "metadata")
#: Table keys an identity may read (docs/architecture.md), plus ``narrative`` (raw.narrative_figures).
TABLE_KEYS: tuple[str, ...] = (
    "t1_summary", "t2_income", "t3_expenditure", "t4_appropriation_summary",
    "t5_general_budget_expenditure", "t6_basic_expenditure_economic", "t7_three_public",
    "t8_government_fund", "t9_state_capital", "narrative",
)
KNOWN_FIELDS = frozenset(REQUIRED_FIELDS + OPTIONAL_FIELDS)

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# schema.relation, plain SQL identifiers only: the name is interpolated into SQL by the runner.
_MODEL_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")
_MAX_TOLERANCE_DECIMALS = 4


class CatalogueError(ValueError):
    """The catalogue file is malformed."""


@dataclass(frozen=True)
class Identity:
    """One accounting identity of the catalogue."""

    id: str
    description_zh: str
    description_en: str
    severity: Severity
    tolerance_per_term: Decimal  # 万元 per term, exact
    source_model: str  # "schema.model" as named in dbt
    group: str = "within_table"
    tables: tuple[str, ...] = ()  # table keys read; not evaluable while one is unusable
    empty_table_is_zero: bool = False  # a table present but empty counts as zeros

    @property
    def gx_severity(self) -> str:
        """The matching GX ``FailureSeverity`` value (``critical`` / ``warning``)."""
        return "critical" if self.severity == "error" else "warning"

    @property
    def source_schema(self) -> str:
        return self.source_model.split(".", 1)[0]

    @property
    def source_relation(self) -> str:
        return self.source_model.split(".", 1)[1]


@dataclass(frozen=True)
class Catalogue:
    """All identities, in file order, with unique ids."""

    identities: tuple[Identity, ...]
    path: Path | None = None

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for identity in self.identities:
            if identity.id in seen:
                raise CatalogueError(f"duplicate identity id {identity.id!r}")
            seen.add(identity.id)

    def __iter__(self) -> Iterator[Identity]:
        return iter(self.identities)

    def __len__(self) -> int:
        return len(self.identities)

    def __contains__(self, identity_id: object) -> bool:
        return any(i.id == identity_id for i in self.identities)

    def __getitem__(self, identity_id: str) -> Identity:
        for identity in self.identities:
            if identity.id == identity_id:
                return identity
        raise KeyError(identity_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.identities)

    @property
    def source_models(self) -> tuple[str, ...]:
        """Distinct source models, in first-seen order."""
        return tuple(dict.fromkeys(i.source_model for i in self.identities))

    def for_source_model(self, source_model: str) -> tuple[Identity, ...]:
        return tuple(i for i in self.identities if i.source_model == source_model)


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    """Load and validate the catalogue (default: ``expectations/catalogue.yml``)."""
    path = Path(path) if path is not None else DEFAULT_CATALOGUE_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(f"cannot read catalogue {path}: {exc}") from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path}: invalid YAML: {exc}") from exc
    return parse_catalogue(document, path=path)


def parse_catalogue(document: Any, path: Path | None = None) -> Catalogue:
    """Validate an already-parsed YAML document (a mapping with an ``identities`` list)."""
    where = str(path) if path else "catalogue"
    if not isinstance(document, Mapping):
        raise CatalogueError(f"{where}: top level must be a mapping with key 'identities'")
    unknown_top = set(document) - {"version", "identities"}
    if unknown_top:
        raise CatalogueError(f"{where}: unknown top-level keys {sorted(unknown_top)}")
    version = document.get("version", 1)
    if version != 1:
        raise CatalogueError(f"{where}: unsupported catalogue version {version!r}")
    entries = document.get("identities")
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(f"{where}: 'identities' must be a non-empty list")

    identities = [_parse_entry(entry, index, where) for index, entry in enumerate(entries)]
    return Catalogue(identities=tuple(identities), path=path)


def _parse_entry(entry: Any, index: int, where: str) -> Identity:
    label = f"{where}: identities[{index}]"
    if not isinstance(entry, Mapping):
        raise CatalogueError(f"{label}: must be a mapping")
    if isinstance(entry.get("id"), str):
        label = f"{label} (id {entry['id']!r})"

    unknown = set(entry) - KNOWN_FIELDS
    if unknown:
        raise CatalogueError(f"{label}: unknown fields {sorted(map(str, unknown))}")
    missing = [f for f in REQUIRED_FIELDS if f not in entry]
    if missing:
        raise CatalogueError(f"{label}: missing required fields {missing}")

    texts: dict[str, str] = {}
    for field in REQUIRED_FIELDS:
        value = entry[field]
        if not isinstance(value, str) or not value.strip():
            raise CatalogueError(f"{label}: {field} must be a non-empty string")
        texts[field] = value.strip()

    if not _ID_RE.match(texts["id"]):
        raise CatalogueError(f"{label}: id must match {_ID_RE.pattern}")
    if texts["severity"] not in SEVERITIES:
        raise CatalogueError(f"{label}: severity must be one of {list(SEVERITIES)}")
    if not _MODEL_RE.match(texts["source_model"]):
        raise CatalogueError(f"{label}: source_model must look like schema.model")

    tolerance = _parse_tolerance(entry.get("tolerance_per_term", DEFAULT_TOLERANCE_PER_TERM), label)
    group = entry.get("group", "within_table")
    if group not in GROUPS:
        raise CatalogueError(f"{label}: group must be one of {list(GROUPS)}")
    tables = entry.get("tables", [])
    if not isinstance(tables, list) or any(t not in TABLE_KEYS for t in tables):
        raise CatalogueError(f"{label}: tables must be a list of {list(TABLE_KEYS)}")
    if len(set(tables)) != len(tables):
        raise CatalogueError(f"{label}: tables lists a table twice")
    empty_is_zero = entry.get("empty_table_is_zero", False)
    if not isinstance(empty_is_zero, bool):
        raise CatalogueError(f"{label}: empty_table_is_zero must be true or false")

    return Identity(
        id=texts["id"],
        description_zh=texts["description_zh"],
        description_en=texts["description_en"],
        severity=texts["severity"],  # type: ignore[arg-type]
        tolerance_per_term=tolerance,
        source_model=texts["source_model"],
        group=group,
        tables=tuple(tables),
        empty_table_is_zero=empty_is_zero,
    )


def _parse_tolerance(value: Any, label: str) -> Decimal:
    # YAML gives 0.01 as a float; str() of a short float is its shortest repr ("0.01"), so the
    # Decimal is exact for anything a person would type. Booleans are ints in Python: reject.
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise CatalogueError(f"{label}: tolerance_per_term must be a number")
    try:
        tolerance = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise CatalogueError(f"{label}: tolerance_per_term {value!r} is not a number") from exc
    if not tolerance.is_finite() or tolerance < 0:
        raise CatalogueError(f"{label}: tolerance_per_term must be a finite number >= 0")
    exponent = tolerance.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -_MAX_TOLERANCE_DECIMALS:
        raise CatalogueError(
            f"{label}: tolerance_per_term has more than {_MAX_TOLERANCE_DECIMALS} decimal places"
        )
    if tolerance >= Decimal("100000000"):
        raise CatalogueError(f"{label}: tolerance_per_term is implausibly large")
    return tolerance
