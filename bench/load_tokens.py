"""What one load of a batch's tokens costs in a big warehouse, against the same load into an empty one.

    python bench/load_tokens.py STORED_WAREHOUSE [--articles 600] [--per-article 233] [--rounds 2]

Each round copies STORED_WAREHOUSE (e.g. the 100,000-article one bench/growth.py --keep leaves, 23M token rows)
to a temporary folder, then, each in a fresh process, stages `tokens` rows of --articles new articles (ids shaped
like real ones: "a" + 16 hex digits, so they fall inside every row group's min/max and nothing is skipped by
zone maps) with their replace scope, and times `tasks.load.load_run` and the tokens table's part of it
(`tasks.load._load_table`): first into an empty warehouse, then into the copy. PYTHONPATH=<older checkout>
measures another version. The copy is removed after each round.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path and not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(REPO))


def child(warehouse: Path, articles: int, per_article: int) -> dict:
    import pyarrow as pa

    import schemas
    import tasks.load as load

    seconds: dict[str, float] = {}
    real = load._load_table

    def timed(con, wh, seq, run_id, name, files, scopes):  # noqa: ANN001
        started = time.perf_counter()
        try:
            return real(con, wh, seq, run_id, name, files, scopes)
        finally:
            seconds[name] = round(time.perf_counter() - started, 3)

    load._load_table = timed
    ids = ["a" + hashlib.sha1(f"bench-new-{i}".encode()).hexdigest()[:16] for i in range(articles)]
    n = articles * per_article
    given = {"article_id": pa.array([a for a in ids for _ in range(per_article)]),
             "sentence_index": pa.array([j // 20 for _ in ids for j in range(per_article)], pa.int32()),
             "token_index": pa.array([j % 20 for _ in ids for j in range(per_article)], pa.int32()),
             "text": pa.array(["لفظ"] * n)}
    schema = schemas.schema("tokens")
    rows = pa.table({f.name: given[f.name] if f.name in given else pa.nulls(n, f.type) for f in schema}).cast(schema)
    load.stage(warehouse, "bench-tokens", "tokens", rows, scope_article_ids=ids)
    started = time.perf_counter()
    load.load_run(warehouse, "bench-tokens")
    return {"load_run": round(time.perf_counter() - started, 3), "tokens": seconds.get("tokens")}


def run_child(warehouse: Path, args: argparse.Namespace) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(warehouse), "--articles", str(args.articles),
                          "--per-article", str(args.per_article)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("stored", type=Path)
    ap.add_argument("--articles", type=int, default=600)
    ap.add_argument("--per-article", type=int, default=233)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.stored, args.articles, args.per_article)))
        return
    print("| round | warehouse | load_run s | tokens table s |\n|---|---|---:|---:|")
    for r in range(1, args.rounds + 1):
        with tempfile.TemporaryDirectory(dir=args.stored.parent) as tmp:
            copy = Path(tmp) / "stored"
            shutil.copytree(args.stored, copy, symlinks=True)
            for label, wh in (("empty", Path(tmp) / "empty"), ("stored", copy)):
                res = run_child(wh, args)
                print(f"| {r} | {label} | {res['load_run']:.3f} | {res['tokens']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
