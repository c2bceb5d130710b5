"""Every identity of expectations/catalogue.yml holds on a real or demo document and fails on a
modified copy of it, through the real dbt project and the real GX runner (no mocks).

1. One pipeline run (`python -m pipelines run`) over 9 demo documents (the 株洲 rebuild and 8
   generated ones, all layout variants) and the two real final accounts.
2. For each identity, an instance that PASSED is picked (preferring documents and tables no other
   mutation touches) and the raw rows of a copy of the working warehouse are changed so that it
   must fail (tests/identity_mutations.py); a document's T6 is also marked not parsed and another
   document's narrative removed, to show a parser gap is never a failure.
3. dbt rebuilds the residual models over the copy and the runner validates it again.
"""
from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import duckdb
import pytest

from expectations.catalogue import load_catalogue
from expectations.runner import run_validations
from tests.conftest import CZJ, FOSHAN, SHGZ, require_corpus
from tests.identity_mutations import (
    Target,
    _touched,
    break_document_level,
    break_instance,
    bumpable,
    dbt_run,
    passed_instances,
)

CATALOGUE = load_catalogue()
DOCUMENT_LEVEL = ("complete_tables_present", "meta_fiscal_year", "meta_department_name", "meta_no_placeholders",
                  "text_typography", "narrative_percent_sign", "empty_table_note", "repeated_total_agrees")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """(working warehouse path, published warehouse path) of one pipeline run."""
    require_corpus()
    from demo.generate import generate_corpus
    from pipelines.cli import main

    root = tmp_path_factory.mktemp("identities")
    landing = root / "landing"
    generate_corpus(landing / "demo", count=9, seed=2024)
    shutil.rmtree(landing / "demo" / "_truth")
    # 佛山 prints its 合计 rows again on continuation pages (repeated_total_agrees holds there)
    for pdf in (CZJ, SHGZ, FOSHAN):
        shutil.copy(pdf, landing / pdf.name)
    warehouse = root / "out" / "warehouse.duckdb"
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["run", "--create", "--landing", str(landing), "--warehouse", str(warehouse), "--log-level", "WARNING"])
    assert code == 0
    return root / "out" / "data" / "work" / "warehouse.duckdb", warehouse


def _touches(identity_id: str, row: tuple) -> frozenset[str]:
    """The tables (and 'narrative') a mutation of this instance changes."""
    if identity_id in ("complete_tables_present", "empty_table_note", "repeated_total_agrees"):
        return frozenset({row[2]})
    if identity_id in ("meta_fiscal_year", "meta_department_name"):
        return frozenset({"narrative"})
    if identity_id == "meta_no_placeholders":
        return frozenset({"t3_labels"})
    if identity_id == "narrative_percent_sign":
        return frozenset({"narrative"})  # a share loses its % sign: that document's shares change
    if identity_id == "text_typography":
        return frozenset({"text_lint"})
    return _touched(row[3])


def _pick_targets(con) -> dict[str, Target]:
    targets: dict[str, Target] = {}
    used: set[tuple[str, str]] = set()  # (document, table) already changed
    bump = 128
    for identity_id in sorted(CATALOGUE.ids, key=lambda i: (i in DOCUMENT_LEVEL, i)):
        rows = passed_instances(con, identity_id)
        if identity_id == "complete_tables_present":
            rows.sort(key=lambda r: (r[2] != "t9_state_capital", r[2] != "t8_government_fund", r[0]))
        elif identity_id in ("meta_fiscal_year", "meta_department_name"):
            # the mutation rewrites a narrative sentence: only the 'narrative' instance can fail
            # ('headings' compares the cover with the names above the tables)
            rows = [r for r in rows if r[2] == "narrative"]
        elif identity_id not in DOCUMENT_LEVEL:
            rows = [r for r in rows if bumpable(r[3])]
        assert rows, f"no passed instance of {identity_id} to break"
        chosen = next(
            (r for r in rows if not any((r[1], t) in used for t in _touches(identity_id, r))), rows[0]
        )
        if identity_id in DOCUMENT_LEVEL:
            target = break_document_level(con, identity_id, chosen)
        else:
            target = break_instance(con, identity_id, chosen, bump)
            bump *= 2
        used |= {(target.document_id, t) for t in _touches(identity_id, chosen)}
        targets[identity_id] = target
    return targets


@pytest.fixture(scope="module")
def mutated(base, tmp_path_factory):
    """Results of the modified copy: {instance_id: (status, reason)}, the targets, the parser-gap docs."""
    working, _ = base
    work = tmp_path_factory.mktemp("mutated")
    db = work / "warehouse.duckdb"  # same basename: dbt's views name the catalog
    shutil.copy(working, db)
    with duckdb.connect(str(db)) as con:
        targets = _pick_targets(con)
        used_docs = {t.document_id for t in targets.values()}
        docs = [r[0] for r in con.execute(
            "select document_id from raw.documents where status = 'loaded' order by document_id").fetchall()]
        spare = [d for d in docs if d not in used_docs] or docs
        t6_gap, narrative_gap = spare[0], spare[-1]
        con.execute("delete from raw.table_cells where document_id = ? and table_key = 't6_basic_expenditure_economic'", [t6_gap])
        con.execute("update raw.report_tables set status = 'not_parsed', note = 'test: parser for T6 not written' "
                    "where document_id = ? and table_key = 't6_basic_expenditure_economic'", [t6_gap])
        con.execute("delete from raw.narrative_figures where document_id = ?", [narrative_gap])
    proc = dbt_run(db, work)
    assert proc.returncode == 0, proc.stdout[-3000:]
    run_validations(db, work / "docs", work / "gx", "mutated")
    with duckdb.connect(str(db), read_only=True) as con:
        results = {
            r[0]: r[1:] for r in con.execute(
                "select instance_id, status, not_evaluated_reason, document_id, identity_id "
                "from quality.expectation_results where run_id = 'mutated'").fetchall()
        }
    return results, targets, t6_gap, narrative_gap


@pytest.fixture(scope="module")
def base_results(base):
    _, published = base
    with duckdb.connect(str(published), read_only=True) as con:
        return dict(con.execute("select instance_id, status from quality.expectation_results").fetchall())


@pytest.mark.parametrize("identity_id", CATALOGUE.ids)
def test_identity_holds_then_fails_when_the_document_is_modified(identity_id, base_results, mutated):
    results, targets, _, _ = mutated
    target = targets[identity_id]
    assert base_results[target.instance_id] == "passed"
    status, reason, _, _ = results[target.instance_id]
    assert status == "failed", (target.instance_id, target.how, reason)


def test_the_base_run_evaluates_every_identity(base_results):
    evaluated = {iid.split("|")[1] for iid, status in base_results.items() if status in ("passed", "failed")}
    assert evaluated == set(CATALOGUE.ids)


def test_a_parser_gap_is_never_a_failure(mutated):
    results, _, t6_gap, narrative_gap = mutated
    t6 = {v[3]: (v[0], v[1]) for k, v in results.items() if v[2] == t6_gap and (
        v[3].startswith("t6_") or v[3] == "cross_t5_t6_basic")}
    assert set(t6) == {"t6_personnel_total", "t6_public_total", "t6_class_rollup", "cross_t5_t6_basic"}
    assert all(s == "not_evaluated" and "not parsed" in r for s, r in t6.values()), t6
    narrative = {v[3]: (v[0], v[1]) for v in results.values() if v[2] == narrative_gap and v[3].startswith("narrative_")}
    assert len(narrative) == 7  # every narrative identity of the catalogue
    assert all(s == "not_evaluated" and "no figure was extracted" in r for s, r in narrative.values()), narrative


def test_a_table_read_only_in_part_makes_its_identities_not_evaluated(base, tmp_path):
    """A cell removed from a parsed table (the parse-coverage check marks the table `partial`):
    every identity that reads the table says `not evaluated` with the reason, none says `failed`,
    and the reason counts as a parser problem (run summary, asset checks, review list)."""
    from expectations.results_table import is_parser_problem

    working, _ = base
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(working, db)
    with duckdb.connect(str(db)) as con:
        doc, row_index = con.execute(
            """select document_id, min(row_index) from raw.table_cells
               where table_key = 't3_expenditure' and code is not null and amount is not null
               group by document_id order by document_id limit 1""").fetchone()
        con.execute("delete from raw.table_cells where document_id = ? and table_key = 't3_expenditure' "
                    "and row_index = ? and column_key = 'total'", [doc, row_index])
        con.execute("update raw.report_tables set status = 'partial', note = 'parser could not read this table "
                    "fully: 1 amount printed on its pages not read (p9 6,026.13)' "
                    "where document_id = ? and table_key = 't3_expenditure'", [doc])
    proc = dbt_run(db, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    run_validations(db, tmp_path / "docs", tmp_path / "gx", "partial")
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            """select identity_id, status, not_evaluated_reason from quality.expectation_results
               where run_id = 'partial' and document_id = ?""", [doc]).fetchall()
    t3 = {identity: (status, reason) for identity, status, reason in rows
          if identity.startswith("t3_") or identity in ("cross_t1_t3_class", "cross_t1_t3_expenditure_total",
                                                         "cross_t3_t5_total")}
    assert set(t3) == {"t3_row_total", "t3_class_rollup", "t3_kuan_rollup", "t3_grand_total",
                       "cross_t1_t3_class", "cross_t1_t3_expenditure_total", "cross_t3_t5_total"}
    for identity, (status, reason) in t3.items():
        assert status == "not_evaluated" and "read only in part" in reason and is_parser_problem(reason), (identity, reason)
    assert not any(status == "failed" for _, status, _ in rows)
