"""Cold / cached / steady articles/s of the link stage, this checkout against older ones, in fresh processes.

Why: the link stage builds its alias index on the first article (tasks/link.py) and keeps it in
$KHABAR_CACHE_DIR between processes; `bench/extraction.py` times one process, where the build (or the cache
read) is part of the first pass only. This runs, alternating and for several rounds, in a fresh process each:

    old     an older checkout (``--old [LABEL=]PATH``, repeatable; e.g. a worktree of c867e43:
            ``git worktree add /work/wt-c867 c867e43``); one with a saved index builds it cold, as below
    cold    this checkout, empty cache folder: builds the index and writes the cache (first run after any change)
    nocache this checkout, KHABAR_CACHE_DIR=off: builds the index, writes nothing
    cached  this checkout, the cache the cold run wrote: reads it

and prints per kind the medians of: the dictionary load (outside the link stage's timer in bench/extraction.py),
the first pass over the articles (includes the index build or cache read), and the steady rate (passes 2..), in
wall-clock time and in the process's CPU time (time.process_time: steadier on a shared machine).

    python bench/link_cold.py ../shared/data/gold_dev/counter_dev_gold.json -w /tmp/wh_fg --old c867=/work/wt-c867
    python bench/link_cold.py GOLD -w WH --dump /tmp/links.json    # one pass here: every article's mentions, sorted

The parses are read from the warehouse as bench/extraction.py reads them (its read_parsed, from each checkout).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def child(root: Path, gold: Path, warehouse: Path, passes: int, dump: Path | None) -> None:
    """In a fresh process: time load_dictionary, the first link pass and ``passes - 1`` more; print JSON."""
    spec = importlib.util.spec_from_file_location("bench_extraction", root / "bench" / "extraction.py")
    bx = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bx)  # puts ``root`` first on sys.path: tasks/ comes from that checkout
    link_mod = bx.link_mod
    parsed = [p for p in bx.read_parsed(warehouse, bx.load_gold(gold)) if p[1] is not None]
    t0, c0 = time.perf_counter(), time.process_time()
    dictionary = link_mod.load_dictionary()
    load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    times, cpu, outs = [], [], None
    for _ in range(max(1, passes)):
        t0, c0 = time.perf_counter(), time.process_time()
        outs = [link_mod.link_article(art, sents, toks, ner, dictionary) for _, art, sents, toks, ner in parsed]
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    if dump is not None:
        keys = ("sentence_index", "start_char", "end_char", "entity_id", "found_by", "link_method", "model_label")
        rows = {art["article_id"]: {"mentions": sorted((tuple(str(m.get(k)) for k in keys) for m in out.mentions)),
                                    "entities": sorted(json.dumps(e, sort_keys=True, default=str)
                                                       for e in out.entities)}
                for (_, art, *_), out in zip(parsed, outs)}
        dump.write_text(json.dumps(rows, ensure_ascii=False, indent=0, sort_keys=True))
    print(json.dumps({"n": len(parsed), "load_s": load_s, "pass_s": times, "load_cpu": load_cpu, "pass_cpu": cpu}))


def run_child(root: Path, args, cache: str, passes: int) -> dict:
    env = {**os.environ, "KHABAR_CACHE_DIR": cache, "PYTHONPATH": str(root)}
    cmd = [sys.executable, str(Path(__file__).resolve()), str(args.gold.resolve()), "-w", str(args.warehouse),
           "--child", str(root), "--passes", str(passes)]
    out = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("gold", type=Path)
    ap.add_argument("-w", "--warehouse", type=Path, required=True)
    ap.add_argument("--old", action="append", default=[], metavar="[LABEL=]PATH",
                    help="older checkout to compare with (runs its own tasks/); repeatable, labelled old, old2, …")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--passes", type=int, default=4, help="link passes per process (1 first + the steady ones)")
    ap.add_argument("--kinds", default="old,cold,nocache,cached", help="of: old labels, cold, nocache, cached")
    ap.add_argument("--dump", type=Path, help="write this checkout's mentions/entities (one pass) and stop")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        child(args.child, args.gold.resolve(), args.warehouse, args.passes, args.dump)
        return 0
    if args.dump is not None:
        child(HERE, args.gold.resolve(), args.warehouse, 1, args.dump)
        return 0
    olds = {}
    for n, spec in enumerate(args.old):
        label, _, path = spec.rpartition("=")
        olds[label or ("old" if n == 0 else f"old{n + 1}")] = Path(path)
    wanted = [k for k in args.kinds.split(",") if k]
    kinds = [k for k in olds if k not in wanted] + [k for k in wanted if k in olds or k in ("cold", "nocache", "cached")]
    res: dict[str, list[dict]] = {k: [] for k in kinds}
    for r in range(args.rounds):
        cache = tempfile.mkdtemp(prefix="khabar-cache-")
        try:
            # cached needs the cold run's file: always after it; an older checkout with its own cache (keyed by its
            # own code) builds it cold in this round's empty folder
            order = kinds if r % 2 == 0 else [k for k in reversed(kinds) if k != "cached"] + \
                (["cached"] if "cached" in kinds else [])
            for k in order:
                if k == "cached" and "cold" not in kinds:
                    run_child(HERE, args, cache, 1)  # write the cache first
                root = olds.get(k, HERE)
                res[k].append(run_child(root, args, "off" if k == "nocache" else cache, args.passes))
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        print(f"round {r + 1} first pass a/s (CPU): " + "  ".join(f"{k} {res[k][-1]['n'] / res[k][-1]['pass_cpu'][0]:.0f}" for k in kinds),
              file=sys.stderr, flush=True)
    for clock, load_key, pass_key in (("wall clock", "load_s", "pass_s"), ("CPU time of the process", "load_cpu", "pass_cpu")):
        print(f"{clock}, medians of {args.rounds} processes")
        print(f"  {'kind':8} {'dict load s':>11} {'first pass a/s':>15} {'steady a/s':>11}")
        for k in kinds:
            n = res[k][0]["n"]
            load = statistics.median(x[load_key] for x in res[k])
            first = statistics.median(n / x[pass_key][0] for x in res[k])
            steady = [n / t for x in res[k] for t in x[pass_key][1:]]
            print(f"  {k:8} {load:11.3f} {first:15.1f} {statistics.median(steady) if steady else float('nan'):11.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
