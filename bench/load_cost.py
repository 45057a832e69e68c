"""Measure what a small load costs in a big warehouse: seconds, bytes written, files rewritten, peak memory.

Usage: python bench/load_cost.py [--tokens 1000000] [--new 100] [--dir DIR]
Builds a warehouse holding --tokens token rows (100 per article), then loads --new token rows of one new article
in a fresh process and reports its cost; then times a reader's scan of the tokens view. Uses only the loader's
public API (tasks.load.stage, load_run), so the same script measures any version: run it with PYTHONPATH pointing
at an older checkout for the 'before' figures. Bytes written = the loading process's write() bytes
(/proc/self/io wchar). Timings are informative only (one run, a shared machine).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path and not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(REPO))

import pyarrow as pa  # noqa: E402

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
PER_ARTICLE = 100


def _peak_rss_mb() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a child would report its parent's peak
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024


def _wchar() -> int:
    with open("/proc/self/io") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("wchar:"))


def _articles(ids: list[str]) -> pa.Table:
    import schemas

    return schemas.to_arrow("articles", [{"article_id": a, "source_path": f"/x/{a}.txt", "text": "متن", "raw_text": "متن",
                                          "content_hash": a, "run_id": "bench", "ingested_at": NOW} for a in ids])


def _tokens(first_article: int, n: int) -> pa.Table:
    return _fill("tokens", {
        "article_id": pa.array([f"a{first_article + k // PER_ARTICLE:07d}" for k in range(n)]),
        "sentence_index": pa.array([k % PER_ARTICLE // 20 for k in range(n)], pa.int32()),
        "token_index": pa.array([k % 20 for k in range(n)], pa.int32()),
        "text": pa.array(["لفظ" + str(k % 997) for k in range(n)]),
        "lemma": pa.array(["لفظ"] * n),
        "upos": pa.array(["NOUN" if k % 3 else "VERB" for k in range(n)]),
        "deprel": pa.array(["nsubj"] * n),
        "start_char": pa.array([k % 1024 * 5 for k in range(n)], pa.int32()),
        "end_char": pa.array([k % 1024 * 5 + 4 for k in range(n)], pa.int32()),
    }, n)


def _fill(table: str, given: dict[str, pa.Array], n: int) -> pa.Table:
    """The table's schema, given columns filled in, the others NULL (or 0 where not nullable)."""
    import schemas

    cols = []
    for f in schemas.schema(table):
        if f.name in given:
            cols.append(given[f.name].cast(f.type))
        elif f.nullable:
            cols.append(pa.nulls(n, f.type))
        else:
            cols.append(pa.array([0] * n, f.type))
    return pa.Table.from_arrays(cols, schema=schemas.schema(table))


def build(wh: Path, tokens: int) -> None:
    from tasks import load

    articles = tokens // PER_ARTICLE
    load.stage(wh, "build", "articles", _articles([f"a{k:07d}" for k in range(articles)]))
    load.stage(wh, "build", "tokens", _tokens(0, tokens))
    load.load_run(wh, "build")


def small_load(wh: Path, new: int) -> dict:
    """In its own process: load one new article with ``new`` tokens; then scan the tokens view as a reader."""
    from tasks import load
    from warehouse import connect_readonly

    files_before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in wh.rglob("*") if p.is_file()}
    new_id = f"a{9_999_999:07d}"
    load.stage(wh, "small", "articles", _articles([new_id]))
    load.stage(wh, "small", "tokens", _tokens(9_999_999, new), scope_article_ids=[new_id])
    wrote, clock = _wchar(), time.perf_counter()
    load.load_run(wh, "small")
    seconds, written = time.perf_counter() - clock, _wchar() - wrote
    peak = _peak_rss_mb()
    rewritten = [str(p.relative_to(wh)) for p, st in files_before.items()
                 if p.exists() and (p.stat().st_mtime_ns, p.stat().st_size) != st and "staging" not in p.parts
                 and not p.name.startswith(".")]
    clock = time.perf_counter()
    con = connect_readonly(wh)
    rows = con.execute("SELECT count(*), count(DISTINCT article_id) FROM tokens").fetchall()[0]
    con.close()
    return {"load_seconds": round(seconds, 3), "bytes_written": written, "peak_rss_mb": round(peak),
            "files_changed": sorted(rewritten), "scan_seconds": round(time.perf_counter() - clock, 3),
            "token_rows": rows[0], "articles_in_tokens": rows[1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=1_000_000)
    ap.add_argument("--new", type=int, default=100)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--small-load", type=Path, default=None, help=argparse.SUPPRESS)  # the child process
    args = ap.parse_args()
    if args.small_load:
        print(json.dumps(small_load(args.small_load, args.new)))
        return
    root = Path(tempfile.mkdtemp(prefix="khabar-load-cost-", dir=args.dir))
    wh = root / "wh"
    clock = time.perf_counter()
    build(wh, args.tokens)
    built = time.perf_counter() - clock
    size = sum(p.stat().st_size for p in wh.rglob("*") if p.is_file())
    child = subprocess.run([sys.executable, __file__, "--new", str(args.new), "--small-load", str(wh)],
                           capture_output=True, text=True, check=True)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"warehouse: {args.tokens:,} token rows, {size / 1e6:.1f} MB on disk, built in {built:.1f} s")
    print(f"load of {args.new} token rows + 1 article: {result['load_seconds']} s, "
          f"{result['bytes_written'] / 1e6:.2f} MB written, peak RSS {result['peak_rss_mb']} MB")
    print(f"existing files changed by that load: {result['files_changed'] or 'none'}")
    print(f"reader scan of tokens after it: {result['scan_seconds']} s ({result['token_rows']:,} rows)")


if __name__ == "__main__":
    main()
