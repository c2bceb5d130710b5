"""The plot of a curve (bench/run.py's JSON): time and peak memory against documents.

    python -m bench.plot bench/results/curve-...json   -> the same name, .png
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

GIB4 = 4096


def plot(json_path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = json.loads(Path(json_path).read_text(encoding="utf-8"))
    curve = data["curve"]
    docs = [p["documents"] for p in curve]
    fig, (ax_t, ax_n, ax_m) = plt.subplots(1, 3, figsize=(16, 5))

    ax_t.plot(docs, [p["full"]["seconds"] for p in curve], "o-", label="full run (b)", linewidth=2)
    stages = sorted({s for p in curve for s in p["full"]["stages"]})
    for stage in stages:
        ax_t.plot(docs, [p["full"]["stages"].get(stage, 0.0) for p in curve], ".--", label=stage)
    if len(curve) > 1:  # linear from the first size
        ax_t.plot(docs, [curve[0]["full"]["seconds"] * d / docs[0] for d in docs], ":", color="grey",
                  label="linear from the first size")
    ax_t.set(title="full pipeline from an empty warehouse", xlabel="documents", ylabel="seconds")
    ax_t.legend(fontsize=7)

    for key, label in (("nightly_10_new", "night, 10 new"), ("nightly_1_new", "night, 1 new")):
        ax_n.plot(docs, [p[key]["seconds"] for p in curve], "o-", label=label, linewidth=2)
    for stage in sorted({s for p in curve for s in p["nightly_10_new"]["stages"]}):
        ax_n.plot(docs, [p["nightly_10_new"]["stages"].get(stage, 0.0) for p in curve], ".--",
                  label=f"10 new: {stage}")
    ax_n.set(title="a night against the archive's size", xlabel="documents in the archive", ylabel="seconds")
    ax_n.set_ylim(bottom=0)
    ax_n.legend(fontsize=7)

    for run, style in (("full", "o-"), ("nightly_10_new", "s--")):
        for role in ("orchestrator", "gx", "dbt", "parser"):
            values = [p[run]["memory"].get(role, {}).get("peak_mib", 0.0) for p in curve]
            ax_m.plot(docs, values, style, label=f"{role} ({'full' if run == 'full' else 'night'})")
    ax_m.axhline(GIB4, color="red", linestyle=":", label="4 GiB")
    ax_m.set(title="peak resident memory per process", xlabel="documents", ylabel="MiB")
    ax_m.set_ylim(bottom=0)
    ax_m.legend(fontsize=7)

    m = data.get("machine", {})
    fig.suptitle(f"{m.get('cpus')} CPUs ({m.get('cpu_model')}), {m.get('memory')}; DuckDB memory_limit "
                 f"{m.get('duckdb_memory_limit')} in dbt, {m.get('duckdb_inprocess_memory_limit', '?')} in the "
                 f"orchestrator, threads {m.get('duckdb_threads')}; load average at start "
                 f"{data.get('load_average_start')}, end {data.get('load_average_end')}", fontsize=9)
    fig.tight_layout()
    target = Path(json_path).with_suffix(".png")
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(plot(Path(arg)))
