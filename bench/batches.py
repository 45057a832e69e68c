"""Micro-batches: peak memory of a run `--until dedup` (ingest, clean, dedup, load) over ~20,000 articles, in
batches of B documents vs one batch.

    python bench/batches.py [--copies 34] [--batch 1000 --batch 100000] [--workdir DIR] [--keep]

Input: COUNTER dev's docs.jsonl (602 articles) written --copies times, one JSON-lines file per copy, every record
with an id of its own (so each is an article of its own; the copies are exact duplicates of the first, which
dedup marks). Each run is a fresh process into an empty warehouse; peak memory is its VmHWM.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO.parent / "shared" / "data" / "counter_dev" / "docs.jsonl"
ENV = {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90", "DO_NOT_TRACK": "1",
       "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"}


def write_inputs(folder: Path, copies: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    records = [json.loads(line) for line in DOCS.read_text(encoding="utf-8").splitlines() if line.strip()]
    for c in range(copies):
        with open(folder / f"copy{c:03d}.jsonl", "w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps({**r, "id": f"c{c}-{r['id']}"}, ensure_ascii=False) + "\n")
    return copies * len(records)


def peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024


def _child(inputs: str, warehouse: str, batch: str) -> None:
    os.environ.update(ENV)
    from flows.pipeline import etl

    started = time.perf_counter()
    summary = etl([inputs], settings={"warehouse": warehouse, "batch_size": int(batch)}, until="dedup")
    print("RESULT " + json.dumps({"seconds": round(time.perf_counter() - started, 1), "counts": summary["counts"],
                                  "stage_seconds": summary["stage_seconds"], "peak_rss_mb": round(peak_rss_mb())}))


def run(inputs: Path, warehouse: Path, batch: int) -> dict:
    env = {**os.environ, **ENV, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, __file__, "--child", str(inputs), str(warehouse), str(batch)],
                         env=env, capture_output=True, text=True, cwd=REPO)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    if out.returncode or not lines:
        raise SystemExit(f"run failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(*sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=34)
    ap.add_argument("--batch", type=int, action="append")
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="khabar-batches-"))
    articles = write_inputs(work / "inputs", args.copies)
    print(f"{articles} articles in {args.copies} files under {work / 'inputs'}")
    for batch in args.batch or [1000, 100_000]:
        wh = work / f"wh-{batch}"
        shutil.rmtree(wh, ignore_errors=True)
        r = run(work / "inputs", wh, batch)
        print(f"batch {batch:>7}: peak {r['peak_rss_mb']} MB, {r['seconds']} s, articles {r['counts']['articles']}, "
              f"duplicates {r['counts']['duplicates']}; stages {r['stage_seconds']}", flush=True)
    if not args.keep and not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
