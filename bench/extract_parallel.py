"""Extraction in parallel: link + events + relations on cached parses, 1 worker vs 2, in one run.

    python bench/extract_parallel.py WAREHOUSE [--repeat K] [--workers W] [--fused [--models-dir DIR]]

WAREHOUSE holds parses (build one with `khabar run docs.jsonl --models-dir ../shared/stanza_resources -w DIR
--until nlp`; e.g. 300 records of ../shared/data/counter_dev/docs.jsonl). The parsed articles and their rows
are read back as the flow's parse cache gives them (flows.nlp._cached_rows), repeated K times under new ids
(more work, same texts), and run through flows.extract.run_extract inside one Prefect flow: with 1 worker (in
this process) and with W worker processes (spawned; start-up counted). Both must give the same rows. Prints
seconds and the ratio; also the plain-function time (no Prefect) as a floor. Nothing here is asserted elsewhere.

--fused: the path the pipeline takes (flows.nlp.run_nlp_extract): the parsed articles, repeated K times under new
ids with their content hashes, are all parse-cache hits, so each worker only links and codes them; the worker
count for them is the pipeline's own rule (flows.extract.extract_workers_for), the clock includes reading the cache.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def load_items(warehouse: Path, repeat: int) -> list:
    from flows.nlp import _cached_rows
    from tasks.extract import extract_items
    from warehouse import read_earlier

    articles = [a for a in read_earlier(warehouse, "articles").to_pylist() if a.get("nlp_status") == "parsed"]
    rows, _ = _cached_rows(warehouse, {a["article_id"]: (a, a["article_id"]) for a in articles})
    base = extract_items(articles, {"sentences": rows.sentences, "tokens": rows.tokens, "mentions": rows.mentions})
    items = []
    for k in range(repeat):
        def re(r: dict, k=k) -> dict:
            return {**r, "article_id": f"{r['article_id']}#{k}"} if k else r
        items += [(re(a), [re(s) for s in ss], [re(t) for t in ts], [re(m) for m in ms]) for a, ss, ts, ms in base]
    return items


def signature(out) -> tuple:
    key = lambda rows: sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)  # noqa: E731
    return tuple(key(getattr(out, t)) for t in ("mentions", "entities", "events", "relations"))


def one_and_many(workers: int, run) -> tuple[tuple, tuple]:
    """``run(w)`` -> (ExtractOutput, a count, a note) with 1 and ``workers`` workers inside one Prefect flow, timed;
    each as (seconds, rows' signature, events, the count). Stops if the rows differ."""
    from prefect import flow

    @flow(name="bench-extract")
    def bench() -> dict:
        out = {}
        for w in (1, workers):
            t = time.perf_counter()
            res, count, note = run(w)
            out[w] = (time.perf_counter() - t, signature(res), len(res.events), count)
            print(f"  workers={w}: {out[w][0]:.2f} s, {note}; pids {sorted(res.pids)}", flush=True)
        return out

    res = bench()
    assert res[1][1] == res[workers][1], "rows differ between 1 and W workers"
    return res[1], res[workers]


def fused(args: argparse.Namespace) -> None:
    """1 vs W workers on the pipeline's path: all articles parse-cache hits, extracted in the workers."""
    from flows.nlp import run_nlp_extract
    from khabar.config import Settings
    from warehouse import read_earlier

    parsed = [a for a in read_earlier(args.warehouse, "articles").to_pylist() if a.get("nlp_status") == "parsed"]
    arts = [{**a, "article_id": f"{a['article_id']}#{k}" if k else a["article_id"]}
            for k in range(args.repeat) for a in parsed]
    print(f"{len(arts)} articles (repeat {args.repeat}), all parse-cache hits", flush=True)

    def run(w: int) -> tuple:
        nlp, res = run_nlp_extract(arts, Settings(warehouse=args.warehouse, workers=w, models_dir=args.models_dir),
                                   "bench")
        return res, len(nlp.cached_ids), f"{len(nlp.cached_ids)} cache hits, {len(res.events)} events"

    one, many = one_and_many(args.workers, run)
    print(f"run_nlp_extract (cache hits), ratio 1/{args.workers}: {one[0] / many[0]:.2f}x  (same rows: yes)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("warehouse", type=Path)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--fused", action="store_true")
    ap.add_argument("--models-dir", type=Path, default=REPO.parent / "shared" / "stanza_resources")
    args = ap.parse_args()
    if args.fused:
        fused(args)
        return

    import flows.extract as fx
    from khabar.config import Settings
    from tasks.extract import extract_articles, item_weight

    items = load_items(args.warehouse, args.repeat)
    tokens = sum(map(item_weight, items))
    print(f"{len(items)} articles, {tokens} tokens (repeat {args.repeat})", flush=True)

    t = time.perf_counter()
    extract_articles(items)
    plain = time.perf_counter() - t

    def run(w: int) -> tuple:
        fx.TOKENS_PER_EXTRA_WORKER = 1  # the bench decides the worker count, not the sizing rule
        res = fx.run_extract(items, Settings(warehouse=args.warehouse, workers=w))
        return res, len(res.relations), f"of which in extract_articles {res.seconds:.2f} s (summed over chunks)"

    one, many = one_and_many(args.workers, run)
    print(f"plain functions (no Prefect), 1 process: {plain:.2f} s")
    print(f"run_extract, 1 worker : {one[0]:.2f} s  ({one[2]} events, {one[3]} relations)")
    print(f"run_extract, {args.workers} workers: {many[0]:.2f} s  (spawn + dictionary load counted)")
    print(f"ratio 1/{args.workers}: {one[0] / many[0]:.2f}x  (same rows: yes)")


if __name__ == "__main__":
    main()
