"""NLP throughput: plain Stanza vs the khabar NLP stage with 1 worker vs all cores.

    python bench/nlp_throughput.py [N] [--models-dir DIR] [--docs PATH] [--batch-size B] [--repeat R]

N real articles from the COUNTER dev set (title + blank line + body; repeated with new ids and content
hashes until there are N, so the parse cache never hits). Each variant runs in a fresh Python process
and is timed end to end from "start parsing" (imports done, Prefect API up) to "rows in hand":
  a) plain Stanza, one process, torch threads = cores: load pipeline + bulk_process(all texts);
  b) khabar run_nlp inside a Prefect flow, workers=1 (in-process, torch threads = cores);
  c) khabar run_nlp inside a Prefect flow, workers=cores (this process plus cores - 1 spawned workers,
     spawn + model load in every worker counted, torch threads = 1 per worker);
  p) the ceiling for (c) on this machine: plain Stanza in `cores` processes side by side, torch threads = 1
     each, every process loading its pipeline and parsing every cores-th article; its time is the *mean* of
     the processes' times (load + parse), i.e. as if the work were perfectly balanced, with no start-up, no
     Prefect and no data passed between processes. p/a is what (c)/(b) could reach if (b) were as fast as (a).
Tokens are Stanza words. Also printed: (a) without the model load. Nothing here is asserted anywhere.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DOCS = REPO.parent / "shared" / "data" / "counter_dev" / "docs.jsonl"


def load_articles(docs: Path, n: int) -> list[dict]:
    base = []
    with open(docs, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            text = f"{rec['title']}\n\n{rec['text']}" if rec.get("title") else rec["text"]
            base.append((rec["id"], text))
    out = []
    for i in range(n):
        rid, text = base[i % len(base)]
        out.append({"article_id": f"{rid}#{i}", "text": text, "language": "ur", "content_hash": f"bench-{i}"})
    return out


def _variant(name: str, n: int, models_dir: Path, docs: Path, batch_size: int, part: str | None = None) -> dict:
    """Runs in a fresh process; prints one JSON line."""
    for key, value in (("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"), ("DO_NOT_TRACK", "1"),
                       ("PREFECT_SERVER_ANALYTICS_ENABLED", "false")):
        os.environ.setdefault(key, value)
    from tasks.nlp import default_torch_threads

    articles = load_articles(docs, n)
    cores = default_torch_threads()
    if part:  # one process of (p): every parts-th article, one torch thread
        k, parts = (int(x) for x in part.split("/"))
        articles, cores = articles[k::parts], 1
    if name == "a":
        import stanza
        import torch

        torch.set_num_threads(cores)
        t0 = time.perf_counter()
        nlp = stanza.Pipeline("ur", dir=str(models_dir), download_method=None, logging_level="WARN", use_gpu=False)
        t1 = time.perf_counter()
        docs_out = nlp.bulk_process([stanza.Document([], text=a["text"]) for a in articles])
        t2 = time.perf_counter()
        tokens = sum(len(s.words) for d in docs_out for s in d.sentences)
        return {"variant": name, "tokens": tokens, "seconds": t2 - t0, "parse_seconds": t2 - t1, "workers": 1}

    import tempfile

    import stanza  # noqa: F401  imports before the clock, as in (a)
    from prefect import flow
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.nlp import run_nlp
    from khabar.config import Settings

    workers = 1 if name == "b" else cores
    # The pipeline flow always has an API; started here (Prefect's ephemeral server, through the public client)
    # so its start-up is not part of the NLP stage's cost.
    api_url = str(get_client(sync_client=True).api_url).rstrip("/")

    @flow(name="bench-nlp", validate_parameters=False)
    def bench_flow(settings):
        t0 = time.perf_counter()
        result = run_nlp(articles, settings, "bench")
        seconds = time.perf_counter() - t0
        return {"tokens": len(result.tokens), "seconds": seconds, "failed": len(result.failures),
                "parsed": len(result.parsed_ids)}

    with temporary_settings(updates={PREFECT_API_URL: api_url}), tempfile.TemporaryDirectory() as wh:
        settings = Settings(warehouse=Path(wh), models_dir=models_dir, workers=workers, nlp_batch_size=batch_size)
        res = bench_flow(settings)
    return {"variant": name, "workers": workers, "batch": settings.nlp_batch_size, **res}


def main() -> None:
    from khabar.config import Settings

    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=60)
    ap.add_argument("--models-dir", type=Path, default=None)
    ap.add_argument("--docs", type=Path, default=DEFAULT_DOCS)
    ap.add_argument("--batch-size", type=int, default=Settings.model_fields["nlp_batch_size"].default, help="articles per NLP task")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported")
    ap.add_argument("--variant", choices=["a", "b", "c"], help=argparse.SUPPRESS)
    ap.add_argument("--part", help=argparse.SUPPRESS)
    args = ap.parse_args()
    from tasks.nlp import default_torch_threads, resolve_models_dir

    models_dir = resolve_models_dir(args.models_dir)
    if args.variant:
        print("RESULT " + json.dumps(_variant(args.variant, args.n, models_dir, args.docs, args.batch_size, args.part)),
              flush=True)
        return
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
           "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90", "PREFECT_LOGGING_LEVEL": "WARNING"}
    load_before = os.getloadavg()
    cores = default_torch_threads()
    runs: dict[str, list[float]] = {"a": [], "b": [], "c": [], "p": []}

    def command(variant: str, part: str | None = None) -> list[str]:
        return [sys.executable, __file__, str(args.n), "--models-dir", str(models_dir), "--docs", str(args.docs),
                "--batch-size", str(args.batch_size), "--variant", variant] + (["--part", part] if part else [])

    def result(proc: subprocess.Popen) -> dict:
        out, err = proc.communicate()
        line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            sys.exit(f"a variant failed:\n{out[-3000:]}\n{err[-3000:]}")
        return json.loads(line[7:])

    for round_ in range(args.repeat):  # variants alternate, so a load spike hits all of them alike
        for v in ("a", "b", "c", "p"):
            parts = [f"{k}/{cores}" for k in range(cores)] if v == "p" else [None]
            procs = [subprocess.Popen(command("a" if v == "p" else v, part), stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, env=env, cwd=REPO) for part in parts]
            rs = [result(p) for p in procs]
            tokens, seconds = sum(r["tokens"] for r in rs), statistics.mean(r["seconds"] for r in rs)
            runs[v].append(tokens / seconds)
            extra = ""
            if v == "a":
                extra = f" (parse only {rs[0]['tokens'] / rs[0]['parse_seconds']:.0f} tokens/s)"
            elif v == "p":
                extra = " (per process: " + ", ".join(f"{r['seconds']:.1f} s" for r in rs) + ")"
            print(f"round {round_ + 1} {v}: {tokens} tokens in {seconds:.1f} s = {runs[v][-1]:.0f} tokens/s{extra}, "
                  f"workers={len(rs) if v == 'p' else rs[0]['workers']}", flush=True)
    tps = {v: statistics.median(values) for v, values in runs.items()}
    per_round = ", ".join(f"{c / b:.2f}" for b, c in zip(runs["b"], runs["c"]))
    print(f"cores={cores} N={args.n} batch={args.batch_size} rounds={args.repeat} "
          f"load avg before={load_before[0]:.2f} after={os.getloadavg()[0]:.2f}; c/b per round: {per_round}")
    print("| variant | median tokens/s | ratio |\n|---|---|---|")
    print(f"| (a) plain Stanza, one process | {tps['a']:.0f} | |")
    print(f"| (b) khabar NLP stage, 1 worker | {tps['b']:.0f} | b/a = {tps['b'] / tps['a']:.2f} (target >= 0.9) |")
    print(f"| (c) khabar NLP stage, {cores} workers | {tps['c']:.0f} | "
          f"c/b = {tps['c'] / tps['b']:.2f} (target >= 1.7) |")
    print(f"| (p) ceiling: plain Stanza, {cores} processes, perfectly balanced | {tps['p']:.0f} | "
          f"p/a = {tps['p'] / tps['a']:.2f}; c/p = {tps['c'] / tps['p']:.2f} |")


if __name__ == "__main__":
    main()
