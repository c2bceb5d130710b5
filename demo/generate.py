"""Generate a deterministic demo corpus of 部门决算 PDFs with ground-truth JSON.

    python -m demo.generate --out DIR [--count N] [--seed S]

`count` is the total number of PDFs written: the rebuilt real 株洲市工业和信息化局 2021 report
(see demo/zhuzhou.py) plus count - 1 generated documents of fictitious departments for fiscal
years 2023 and 2024. Some departments appear in both years (same lines, slightly different
numbers); the rest appear once, so 24 documents cover 21 departments.

Truth files go to DIR/_truth/<pdf stem>.json (not next to the PDFs: the pipeline picks *.pdf).
The same seed gives byte-identical PDFs and JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from demo import catalog, zhuzhou
from demo.document import render_document
from demo.numbers import build_accounts, make_profile
from demo.table_cells import Layout

YEARS = (2023, 2024)
MAIN_REGIONS = 4          # the first regions of catalog.REGIONS are used first, round robin


@dataclass(frozen=True)
class DocSpec:
    region: str
    dept: int             # index into catalog.DEPARTMENT_TYPES
    year: int
    layout: Layout
    long: bool            # all lines of the department: a T3 that runs over two pages

    @property
    def short(self) -> str:
        return catalog.DEPARTMENT_TYPES[self.dept][0]

    @property
    def file_name(self) -> str:
        return f"{self.region}{self.short}{self.year}年度部门决算.pdf"


def layout_for(i: int, rng: random.Random) -> Layout:
    """Cycle through code x style x thousands so any 8 consecutive documents cover all 8."""
    style = ("shanghai", "hunan")[(i // 2) % 2]
    return Layout(code=("single", "split")[i % 2], style=style, thousands=(i // 4) % 2 == 1,
                  zeros=rng.randint(0, 99) < 25,
                  t5_total="top" if style == "shanghai" else ("top", "bottom")[(i // 8) % 2])


def plan_corpus(count: int, seed: int) -> list[DocSpec]:
    """The generated documents (count - 1 of them; the 株洲 rebuild is the count-th)."""
    n = max(0, count - 1)
    rng = random.Random(f"plan|{seed}")
    depts = list(range(len(catalog.DEPARTMENT_TYPES)))
    rng.shuffle(depts)
    main = catalog.REGIONS[:MAIN_REGIONS]
    # (region, dept) combinations: first the main regions round robin, each with other departments
    combos = [(main[j % MAIN_REGIONS], depts[j % len(depts)]) for j in range(len(depts) * MAIN_REGIONS)]
    combos = list(dict.fromkeys(combos))
    # Never invent a department that publishes for real (the corpus's 上海市普陀区财政局): a
    # warehouse holding both would see the fictitious report as a version of the real one.
    real = {(region, catalog.DEPARTMENT_TYPES[d][0]) for region, d in combos} & catalog.REAL_DEPARTMENTS
    combos = [(r, d) for r, d in combos if (r, catalog.DEPARTMENT_TYPES[d][0]) not in real]
    rest = [(r, d) for r in catalog.REGIONS[MAIN_REGIONS:] for d in depts
            if (r, catalog.DEPARTMENT_TYPES[d][0]) not in catalog.REAL_DEPARTMENTS]
    rng.shuffle(rest)
    combos += rest
    # Beyond two years of every (region, department): earlier years of the same departments, as an
    # archive that keeps several years holds them (the bench's 3,000 and 10,000 documents); the
    # documents of a smaller count are unchanged.
    older = max(0, n - 2 * len(combos))
    n -= older
    pairs = max(1, n // 8) if n >= 2 else 0
    singles = n - 2 * pairs
    if pairs + singles > len(combos):
        pairs = n - len(combos)
        singles = n - 2 * pairs
    specs: list[tuple[str, int, int, bool]] = []
    for j, (region, dept) in enumerate(combos[:pairs + singles]):
        long = j % 5 == 0
        years = YEARS if j < pairs else (YEARS[rng.randint(0, 1)],)
        specs += [(region, dept, y, long) for y in years]
    for k in range(older):
        region, dept = combos[k % len(combos)]
        specs.append((region, dept, YEARS[0] - 1 - k // len(combos), k % 5 == 0))
    return [DocSpec(region, dept, year, layout_for(i, rng), long)
            for i, (region, dept, year, long) in enumerate(specs)]


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def generate_document(spec: DocSpec, out_dir: Path, seed: int) -> Path:
    """Write one generated PDF and its truth JSON; returns the PDF path."""
    short, items = catalog.DEPARTMENT_TYPES[spec.dept]
    profile = make_profile(spec.region, short, items, seed, long=spec.long)
    acc = build_accounts(profile, spec.year)
    prev = build_accounts(profile, spec.year - 1)
    path = out_dir / spec.file_name
    truth = render_document(path, acc, prev, spec.layout)
    write_json(out_dir / "_truth" / f"{path.stem}.json", truth)
    return path


def generate_corpus(out_dir: Path, count: int = 24, seed: int = 2024) -> list[Path]:
    """Write `count` PDFs (the 株洲 rebuild + count-1 generated) into out_dir; return their paths."""
    out_dir = Path(out_dir)
    (out_dir / "_truth").mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    if count >= 1:
        zz = out_dir / zhuzhou.FILE_NAME
        pages, page_count = zhuzhou.render_zhuzhou(zz)
        write_json(out_dir / "_truth" / f"{zz.stem}.json", zhuzhou.zhuzhou_truth(pages, page_count))
        paths.append(zz)
    for spec in plan_corpus(count, seed):
        paths.append(generate_document(spec, out_dir, seed))
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m demo.generate", description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, type=Path, help="output folder (created if missing)")
    ap.add_argument("--count", type=int, default=24, help="number of PDFs, including the 株洲 rebuild")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args(argv)
    start = time.perf_counter()
    paths = generate_corpus(args.out, args.count, args.seed)
    print(f"wrote {len(paths)} PDFs to {args.out} (truth in {args.out / '_truth'}) "
          f"in {time.perf_counter() - start:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
