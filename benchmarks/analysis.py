"""Analysis time and peak memory at 12, 100 and 750 synthetic trials (the goal at 750: <= 20 s, <= 512 MB).

    .venv/bin/python benchmarks/analysis.py [--trials 12 100 750] [--json out.json]

Each size runs in its own fresh Python process, so its peak resident memory is its own: the process
imports what AnalyzeResults imports (numpy, optuna, matplotlib, jinja2), builds a synthetic tuning job
(4 numeric ranges, one of them logarithmic, and a categorical; one hyperparameter drives the objective,
5% of the jobs fail), then does exactly what the Lambda does after collecting the trials: trials.csv,
analyze(), the next spec (validated like `tunepilot validate`), report.html. Timed: that work, not the
imports (reported apart: a cold Lambda pays them once), as wall and CPU seconds (on a shared machine the
wall time includes waiting for a core). Memory: ru_maxrss of the process, imports included.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
GOAL_SECONDS, GOAL_MB = 20.0, 512.0


def measure(n: int) -> dict[str, Any]:
    """One size, in this process (called in a child process by main)."""
    import resource
    import time

    started = time.perf_counter()
    sys.path.insert(0, str(REPO))
    import yaml
    from tunepilot.analysis.analyze import analyze
    from tunepilot.analysis.nextspec import next_spec
    from tunepilot.analysis.report import render_report
    from tunepilot.analysis.trials import ParamRange, trials_csv
    from tunepilot.spec.load import validate_bytes

    from tests.unit.analysis.synthetic import BOOSTER, DEPTH, ETA, SUBSAMPLE, eta_drives, make_job

    imports = time.perf_counter() - started
    child = ParamRange(name="min_child_weight", kind="continuous", min=1, max=8)
    ranges = (ETA, DEPTH, child, SUBSAMPLE, BOOSTER)
    demo = yaml.safe_load((REPO / "examples" / "xgboost-breast-cancer.yaml").read_text())
    demo["hyperparameters"]["ranges"] = {
        "eta": {"type": "continuous", "min": 0.01, "max": 0.5, "scaling": "Logarithmic"},
        "max_depth": {"type": "integer", "min": 2, "max": 10},
        "min_child_weight": {"type": "continuous", "min": 1, "max": 8},
        "subsample": {"type": "continuous", "min": 0.5, "max": 1.0},
        "booster": {"type": "categorical", "values": ["gbtree", "dart", "gblinear"]},
    }
    spec = validate_bytes(yaml.safe_dump(demo).encode()).spec
    assert spec is not None
    job = make_job(n, eta_drives, ranges, status=lambda i: "Failed" if i % 20 == 0 else "Completed")

    started, cpu = time.perf_counter(), time.process_time()
    csv_text = trials_csv(job)
    analysis = analyze(job)
    nxt = next_spec(spec, analysis, job)
    html = render_report(job, analysis, nxt)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    return {
        "trials": n, "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3), "import_seconds": round(imports, 3),
        "peak_mb": round(peak_mb, 1),
        "report_kb": round(len(html) / 1024, 1), "csv_kb": round(len(csv_text) / 1024, 1),
        "top_importance": analysis.importance.values[0].name if analysis.importance.values else None,
        "verdict": analysis.convergence.verdict, "next_spec_valid": nxt.valid,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, nargs="+", default=[12, 100, 750])
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(measure(args.child)))
        return 0
    rows = []
    for n in args.trials:
        done = subprocess.run([sys.executable, __file__, "--child", str(n)], capture_output=True, text=True,
                              check=False, cwd=REPO)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print("| trials | analysis s (wall) | CPU s | imports s | peak MB | report KB | trials.csv KB | ranked first "
          "| verdict |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        print(f"| {r['trials']} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} | {r['import_seconds']:.2f} | "
              f"{r['peak_mb']:.0f} | "
              f"{r['report_kb']:.0f} | {r['csv_kb']:.0f} | {r['top_importance']} | {r['verdict']} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    largest = max(rows, key=lambda r: r["trials"])
    ok = largest["seconds"] <= GOAL_SECONDS and largest["peak_mb"] <= GOAL_MB
    print(f"analysis: {largest['trials']} trials in {largest['seconds']:.2f} s, peak {largest['peak_mb']:.0f} MB "
          f"(goal <= {GOAL_SECONDS:.0f} s, <= {GOAL_MB:.0f} MB): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
