"""The dbt seed ``accounting_identities`` generated from ``catalogue.yml``.

dbt cannot read the catalogue, yet the residual models need, per identity, the tables it reads
(to emit one not-evaluated row while one of them is unusable). So the catalogue is the single
source and the seed is derived from it:

    python -m expectations.seed            # rewrite dbt_project/seeds/identities/accounting_identities.csv
    python -m expectations.seed --check    # exit 1 when the seed is stale

A test fails while the two disagree.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from .catalogue import Catalogue, load_catalogue

SEED_PATH = (
    Path(__file__).resolve().parent.parent
    / "dbt_project" / "seeds" / "identities" / "accounting_identities.csv"
)
SEED_COLUMNS = (
    "identity_id",
    "identity_group",
    "required_tables",
    "empty_table_is_zero",
    "severity",
    "description_zh",
    "description_en",
)


def seed_text(catalogue: Catalogue) -> str:
    """The CSV text of the seed (LF line ends, deterministic)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SEED_COLUMNS)
    for identity in catalogue:
        writer.writerow(
            (
                identity.id,
                identity.group,
                " ".join(identity.tables),
                "true" if identity.empty_table_is_zero else "false",
                identity.severity,
                identity.description_zh,
                identity.description_en,
            )
        )
    return buffer.getvalue()


def write_seed(catalogue: Catalogue | None = None, path: Path = SEED_PATH) -> bool:
    """Write the seed; return True when the file changed."""
    text = seed_text(catalogue or load_catalogue())
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m expectations.seed", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the seed is current")
    args = parser.parse_args(argv)
    expected = seed_text(load_catalogue())
    current = SEED_PATH.read_text(encoding="utf-8") if SEED_PATH.is_file() else None
    if args.check:
        if current != expected:
            print(f"stale: {SEED_PATH} (run python -m expectations.seed)", file=sys.stderr)
            return 1
        return 0
    print(("wrote " if write_seed() else "unchanged ") + str(SEED_PATH))
    return 0


if __name__ == "__main__":
    sys.exit(main())
