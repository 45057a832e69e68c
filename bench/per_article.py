"""Per-article work (NLP parse, link, events, relations) with 1 worker vs 2, in one run of this script.

    python bench/per_article.py [N] [--models-dir DIR] [--docs PATH] [--variants one,fused,split,etl1,etl2,stanza,stanza1]

N real articles from the COUNTER dev set (title + blank line + body, repeated under new ids and content hashes
until there are N, so the parse cache never hits). Each variant runs in a fresh Python process (imports and the
Prefect API started before the clock) and is timed from "start" to "rows in hand":
  one   flows.nlp.run_nlp_extract, workers=1 (everything in this process);
  fused flows.nlp.run_nlp_extract, workers=2 (one fan-out: this process and one spawned worker each parse a
        chunk and extract it; spawn and model load counted);
  split the two fan-outs of before: run_nlp (workers=2), then flows.extract.run_extract (workers=2, its own pool
        when the batch is large enough: flows.extract.TOKENS_PER_EXTRA_WORKER);
  etl1 / etl2  end to end: the `khabar-etl` flow (ingest .. load into a new warehouse) on the same N records
        as a JSONL file, workers 1 / 2.
  stanza1 the same with one torch thread (what each of two lanes has: shows what torch's own threads give);
  stanza  plain Stanza in one process (torch threads = cores): pipeline load + bulk_process of the same texts,
        the Overhead baseline (etl1 / stanza, etl2 / stanza are printed); peak memory (ru_maxrss) of each variant's
        process and of its ended children is printed too.
The fused variants' rows (mentions, entities, events, relations) are compared by digest: one == fused == split.
Nothing here is asserted anywhere else.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DEFAULT_DOCS = REPO.parent / "shared" / "data" / "counter_dev" / "docs.jsonl"


def records(docs: Path, n: int) -> list[dict]:
    base = [json.loads(line) for line in open(docs, encoding="utf-8")]
    return [{**base[i % len(base)], "id": f"{base[i % len(base)]['id']}#{i}"} for i in range(n)]


def articles(docs: Path, n: int) -> list[dict]:
    out = []
    for i, rec in enumerate(records(docs, n)):
        text = f"{rec['title']}\n\n{rec['text']}" if rec.get("title") else rec["text"]
        out.append({"article_id": rec["id"], "text": text, "title": rec.get("title"), "language": "ur",
                    "content_hash": f"bench-{i}", "dateline": None, "published_at": None})
    return out


def digest(out) -> str:
    h = hashlib.sha256()
    for table in ("mentions", "entities", "events", "relations"):
        for row in sorted(json.dumps(r, sort_keys=True, default=str) for r in getattr(out, table)):
            h.update(row.encode())
    return h.hexdigest()[:16]


def bare_stanza(n: int, models_dir: Path, docs: Path, threads: int | None = None) -> dict:
    """Issue 13's baseline for the Overhead check: plain Stanza in one process (torch threads = cores, or
    ``threads``), pipeline load + bulk_process of the same texts, as the NLP stage prepares them; no Prefect, no
    warehouse."""
    import stanza

    from tasks.nlp import default_torch_threads, pipeline_processors, prepare_text, set_torch_threads

    texts = [prepare_text(a["text"])[0] for a in articles(docs, n)]
    t0 = time.perf_counter()
    set_torch_threads(threads or default_torch_threads())
    nlp = stanza.Pipeline("ur", dir=str(models_dir), processors=pipeline_processors("ur", models_dir),
                          download_method=None, logging_level="WARN", use_gpu=False)
    docs_out = nlp.bulk_process([stanza.Document([], text=t) for t in texts])
    return {"seconds": time.perf_counter() - t0, "tokens": sum(len(s.words) for d in docs_out for s in d.sentences)}


def peak_mb() -> dict:
    """Peak resident memory of this process and of its children that ended (spawned workers, Prefect's server)."""
    import resource

    return {"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "children_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def variant(name: str, n: int, models_dir: Path, docs: Path) -> dict:
    if name == "stanza":
        return {"variant": name, "workers": 1, "n": n, **bare_stanza(n, models_dir, docs), **peak_mb()}
    if name == "stanza1":  # one torch thread: what each of two lanes has (how much torch's own threads give)
        return {"variant": name, "workers": 1, "n": n, **bare_stanza(n, models_dir, docs, threads=1), **peak_mb()}
    for key, value in (("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"), ("DO_NOT_TRACK", "1"),
                       ("PREFECT_SERVER_ANALYTICS_ENABLED", "false")):
        os.environ.setdefault(key, value)
    import tempfile

    import stanza  # noqa: F401  imports before the clock
    from prefect import flow, get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    import flows.extract  # noqa: F401
    import flows.nlp
    from flows.pipeline import etl
    from khabar.config import Settings
    from tasks.extract import extract_items

    workers = 1 if name in ("one", "etl1") else 2
    api_url = str(get_client(sync_client=True).api_url).rstrip("/")
    arts = articles(docs, n)

    @flow(name="bench-per-article", validate_parameters=False)
    def bench(settings):
        t0 = time.perf_counter()
        if name == "split":
            nlp = flows.nlp.run_nlp(arts, settings, "bench")
            t1 = time.perf_counter()
            with_parse = [a for a in arts if a["article_id"] in set(nlp.parsed_ids)]
            out = flows.extract.run_extract(extract_items(with_parse, {"sentences": nlp.sentences,
                                                                        "tokens": nlp.tokens,
                                                                        "mentions": nlp.mentions}), settings)
        else:
            nlp, out = flows.nlp.run_nlp_extract(arts, settings, "bench")
            t1 = None
        seconds = time.perf_counter() - t0
        return {"seconds": seconds, "nlp_seconds": (t1 - t0) if t1 else None, "tokens": len(nlp.tokens),
                "parsed": len(nlp.parsed_ids), "failed": len(nlp.failures), "events": len(out.events),
                "relations": len(out.relations), "pids": len(out.pids), "extract_cpu_seconds": out.seconds,
                "digest": digest(out)}

    with temporary_settings(updates={PREFECT_API_URL: api_url}), tempfile.TemporaryDirectory() as tmp:
        settings = Settings(warehouse=Path(tmp) / "wh", models_dir=models_dir, workers=workers)
        if name.startswith("etl"):
            src = Path(tmp) / "in.jsonl"
            with open(src, "w", encoding="utf-8") as fh:
                for rec in records(docs, n):
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            t0 = time.perf_counter()
            summary = etl([str(src)], settings=settings, until="load")
            res = {"seconds": time.perf_counter() - t0, "stage_seconds": summary["stage_seconds"],
                   "counts": {k: summary["counts"].get(k) for k in ("articles", "tokens", "events", "relations")}}
        else:
            res = bench(settings)
    return {"variant": name, "workers": workers, "n": n, **res, **peak_mb()}


def main() -> None:
    from tasks.nlp import resolve_models_dir

    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=600)
    ap.add_argument("--models-dir", type=Path, default=REPO.parent / "shared" / "stanza_resources")
    ap.add_argument("--docs", type=Path, default=DEFAULT_DOCS)
    ap.add_argument("--variants", default="one,fused,split,etl1,etl2")
    ap.add_argument("--variant", help=argparse.SUPPRESS)
    args = ap.parse_args()
    models_dir = resolve_models_dir(args.models_dir)
    if args.variant:
        print(json.dumps(variant(args.variant, args.n, models_dir, args.docs)), flush=True)
        return
    results = {}
    for name in args.variants.split(","):
        proc = subprocess.run([sys.executable, __file__, str(args.n), "--models-dir", str(models_dir),
                               "--docs", str(args.docs), "--variant", name], capture_output=True, text=True)
        line = next((ln for ln in reversed(proc.stdout.splitlines()) if ln.startswith("{")), None)
        if line is None:
            print(f"{name}: failed\n{proc.stderr[-3000:]}", file=sys.stderr)
            continue
        results[name] = json.loads(line)
        print(json.dumps(results[name]), flush=True)
    with open("/proc/loadavg") as fh:
        print("load average after:", fh.read().split()[:3])
    pairs = [("one", "fused"), ("one", "split"), ("etl1", "etl2"), ("etl1", "stanza"), ("etl2", "stanza"),
             ("stanza1", "stanza")]
    for a, b in pairs:
        if a in results and b in results:
            print(f"{a} {results[a]['seconds']:.1f} s / {b} {results[b]['seconds']:.1f} s = "
                  f"{results[a]['seconds'] / results[b]['seconds']:.2f}x")
    digests = {k: v["digest"] for k, v in results.items() if "digest" in v}
    print("rows identical:" if len(set(digests.values())) <= 1 else "ROWS DIFFER:", digests)


if __name__ == "__main__":
    main()
