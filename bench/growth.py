"""Growth: what a run of new articles costs into a warehouse that already holds N articles, vs into an empty one.

    python bench/growth.py [--stored N] [--batch B] [--rounds R] [--workdir DIR] [--keep] [--reuse-stored]
    python bench/growth.py --size 10000,100000 [--rounds R]   # the issue's "Size" check: one run of each size

    # the 100,000-article Size run doubles as the stored warehouse's flow part (same articles, same flow):
    python bench/growth.py --size 10000,100000 --workdir DIR --keep
    python bench/growth.py --stored 100000 --workdir DIR --keep        # adds only the NLP rows, then the rounds
    python bench/growth.py --reuse-stored --workdir DIR --keep         # more rounds on that warehouse

1. Builds a warehouse holding N articles (default 20,000): N synthetic articles go through the real flow
   (`etl(..., until="dedup")`: ingest, clean, dedup, load, so articles, signatures, source_files and whatever
   dedup persists are written by the code under test), then every stored article gets NLP rows of a real
   run's size (sentences, tokens, NER mentions, a parse-cache row), staged and loaded through tasks.load.
   Synthetic articles: a COUNTER dev / news_2024_world text with half of its words replaced by words drawn
   from the whole corpus (so no two are near-duplicates: estimated Jaccard of 3-word shingles ~0.1). Their
   NLP rows are the base text's words and sentences (offsets of the base text): nothing here parses.
2. Each round runs the same kind of batch (B new synthetic articles, plus 5 % exact and 5 % near copies of
   stored articles) `--until dedup` (then load), in a fresh process each, first into an empty warehouse,
   then into the N warehouse, and prints per-stage seconds, the ratio N/empty, and the process's peak RSS.
   Rounds use different batches (new ids), so the N warehouse grows by B each round.
Memory: the run's own VmHWM (reset after each stage of each batch, so each batch's stage peaks are printed too),
and the process tree's: plus the VmHWM of each child (Prefect's ephemeral server, ~220 MB), sampled every 0.25 s.
Timings are informative (nothing is asserted); ratios compare runs of the same round, back to back.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
CORPORA = (SHARED / "counter_dev" / "docs.jsonl", SHARED / "news_2024_world" / "articles.jsonl")
STAGES = ("ingest", "clean", "dedup", "load")
MUTATION = 0.5  # share of words replaced in a synthetic article
ENV = {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90", "DO_NOT_TRACK": "1",
       "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"}


def base_texts() -> list[tuple[str, str]]:
    out = []
    for path in CORPORA:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if rec.get("text", "").strip():
                    out.append((rec.get("title") or "", rec["text"]))
    return out


def mutate(text: str, vocabulary: list[str], rng: random.Random, rate: float) -> str:
    """Replace ``rate`` of the words (line structure kept)."""
    return "\n".join(" ".join(rng.choice(vocabulary) if rng.random() < rate else w for w in line.split())
                     for line in text.split("\n"))


def write_batch(path: Path, prefix: str, count: int, seed: int, copies_of: list[dict] | None = None) -> list[dict]:
    """A folder of JSON-lines files: ``count`` synthetic articles (+ 5 % exact, 5 % near copies of ``copies_of``)."""
    base = base_texts()
    vocabulary = [w for _, t in base for w in t.split()]
    rng = random.Random(seed)
    records = []
    for i in range(count):
        title, text = base[rng.randrange(len(base))]
        records.append({"id": f"{prefix}-{i}", "title": mutate(title, vocabulary, rng, MUTATION),
                        "text": mutate(text, vocabulary, rng, MUTATION), "language": "ur",
                        "published_at": "2024-11-01"})
    if copies_of:
        for i, src in enumerate(rng.sample(copies_of, min(len(copies_of), count // 10))):
            text = src["text"] if i % 2 == 0 else mutate(src["text"], vocabulary, rng, 0.1)
            records.append({"id": f"{prefix}-copy-{i}", "title": src["title"], "text": text, "language": "ur",
                            "published_at": "2024-11-01"})
    path.mkdir(parents=True, exist_ok=True)  # files of 1,000 records: a file stays under max_file_bytes
    for start in range(0, len(records), 1000):
        with open(path / f"{start // 1000:04d}.jsonl", "w", encoding="utf-8") as fh:
            for rec in records[start:start + 1000]:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return records


# ------------------------------------------------------------------------------ one run, in its own process

def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: of its own image; ru_maxrss would carry the parent's peak
    over an exec, here the builder's)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024


def _child_run(batch: str, warehouse: str, until: str) -> None:
    os.environ.update(ENV)
    from flows import progress
    from flows.pipeline import etl

    stage_peaks: dict[str, float] = {}
    laps: dict[str, list[float]] = {}  # each batch's seconds per stage
    lap_peaks: dict[str, list[int]] = {}  # each batch's peak MB per stage
    peak = [0.0]

    def at_stage_end(stage: str, info: dict) -> None:
        # the peak since the last stage ended (Linux: writing 5 to clear_refs resets VmHWM to the current RSS)
        if "seconds" in info:
            laps.setdefault(stage, []).append(info["seconds"])
            stage_peaks[stage] = peak_rss_mb()
            lap_peaks.setdefault(stage, []).append(round(stage_peaks[stage]))
            peak[0] = max(peak[0], stage_peaks[stage])
            with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
                fh.write("5")

    progress.add_listener(at_stage_end)
    started = time.perf_counter()
    summary = etl([batch], settings={"warehouse": warehouse}, until=until)
    print("RESULT " + json.dumps({"stage_seconds": summary["stage_seconds"], "counts": summary["counts"],
                                  "seconds": time.perf_counter() - started,
                                  "stage_peak_mb": {**stage_peaks, "after load": peak_rss_mb()},
                                  "peak_rss_mb": max(peak[0], peak_rss_mb()), "laps": laps,
                                  "lap_peaks": lap_peaks}))


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith(key)), 0)
    except OSError:
        return 0


def watch_tree(proc: subprocess.Popen, interval: float = 0.25) -> dict:
    """Until ``proc`` exits: its descendants' peaks (VmHWM, last seen before each exits; the run's own VmHWM is
    reset between stages, so the run reports its own peak) and the largest sum of resident memory (VmRSS) over
    the whole tree at any sample."""
    import psutil

    root = psutil.Process(proc.pid)
    child_hwm: dict[int, tuple[str, int]] = {}
    tree_rss = 0
    while proc.poll() is None:
        try:
            kids = root.children(recursive=True)
        except psutil.Error:
            kids = []
        rss = _status_kb(proc.pid, "VmRSS:")
        for kid in kids:
            hwm = _status_kb(kid.pid, "VmHWM:")
            if hwm:
                name = child_hwm.get(kid.pid, (None, 0))[0]
                if name is None:
                    try:
                        name = " ".join(kid.cmdline()[:4])[-80:]
                    except psutil.Error:
                        name = "?"
                child_hwm[kid.pid] = (name, max(hwm, child_hwm.get(kid.pid, ("", 0))[1]))
            rss += _status_kb(kid.pid, "VmRSS:")
        tree_rss = max(tree_rss, rss)
        time.sleep(interval)
    return {"children": {f"{pid} {name}": round(kb / 1024) for pid, (name, kb) in child_hwm.items()},
            "children_peak_mb": sum(kb for _, kb in child_hwm.values()) / 1024,
            "tree_rss_sampled_mb": tree_rss / 1024}


def run_flow(batch: Path, warehouse: Path, until: str = "dedup", batch_size: int | None = None) -> dict:
    env = {**os.environ, **ENV, "PYTHONPATH": str(REPO)}
    if batch_size:
        env["KHABAR_BATCH_SIZE"] = str(batch_size)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", str(batch), str(warehouse), until],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    import threading

    pipes: dict[str, str] = {}
    readers = [threading.Thread(target=lambda n, f: pipes.__setitem__(n, f.read()), args=(n, f), daemon=True)
               for n, f in (("out", proc.stdout), ("err", proc.stderr))]
    for t in readers:
        t.start()
    tree = watch_tree(proc)
    for t in readers:
        t.join()
    wall = time.perf_counter() - started
    stdout, stderr = pipes.get("out", ""), pipes.get("err", "")
    lines = [l for l in stdout.splitlines() if l.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise SystemExit(f"run failed ({proc.returncode}):\n{stdout[-3000:]}\n{stderr[-3000:]}")
    res = json.loads(lines[-1][len("RESULT "):])
    # the tree's peak: the run's own peak plus each child's (an upper bound: their peaks need not coincide)
    return {**res, **tree, "wall_seconds": wall, "tree_peak_mb": res["peak_rss_mb"] + tree["children_peak_mb"]}


# ------------------------------------------------------------------------------ the stored warehouse

def _nlp_rows_of_base(base: list[tuple[str, str]]):
    """Per base text: sentences, tokens and NER mention rows (article_id filled in later), as Arrow tables."""
    import pyarrow as pa

    sentences, tokens, mentions = [], [], []
    upos = ["NOUN", "ADP", "PROPN", "VERB", "AUX", "ADJ", "PRON", "PUNCT"]
    for b, (_, text) in enumerate(base):
        pos = 0
        for s_index, sentence in enumerate(p for p in text.replace("۔", "۔\n").split("\n") if p.strip()):
            start = text.find(sentence, pos)
            start = pos if start < 0 else start
            pos = start + len(sentence)
            sentences.append({"base": b, "sentence_index": s_index, "start_char": start, "end_char": pos,
                              "text": sentence})
            cursor = start
            for t_index, word in enumerate(sentence.split(), 1):
                w_start = text.find(word, cursor)
                w_start = cursor if w_start < 0 else w_start
                cursor = w_start + len(word)
                tag = upos[(b + s_index + t_index) % len(upos)]
                ner = "S-PERSON" if tag == "PROPN" else "O"
                tokens.append({"base": b, "sentence_index": s_index, "token_index": t_index, "text": word,
                               "lemma": word, "upos": tag, "xpos": tag[:2], "feats": "Case=Nom|Gender=Masc|Number=Sing",
                               "head": max(0, t_index - 1), "deprel": "nmod", "start_char": w_start,
                               "end_char": cursor, "ner": ner})
                if ner != "O":
                    mentions.append({"base": b, "sentence_index": s_index, "start_char": w_start, "end_char": cursor,
                                     "text": word, "ner_label": "PERSON", "model_label": "PERSON", "found_by": "ner"})
    return pa.Table.from_pylist(sentences), pa.Table.from_pylist(tokens), pa.Table.from_pylist(mentions)


def build_stored(warehouse: Path, workdir: Path, stored: int, chunk: int = 10_000) -> dict:
    """N articles through the real flow, then NLP rows of realistic size for each of them."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from schemas import schema
    from tasks import load
    from tasks.ids import stable_id
    from warehouse import read_snapshot

    started = time.perf_counter()
    path = workdir / "stored"
    flow = {"seconds": 0.0, "counts": "kept from an earlier --size run"}
    if not (warehouse / "khabar.duckdb").exists():  # else: kept by `--size ... --keep` (same articles, same flow)
        write_batch(path, "stored", stored, seed=1)
        flow = run_flow(path, warehouse)
    articles = read_snapshot(warehouse, "articles", columns=["article_id", "record_id", "content_hash"])
    base = base_texts()
    # the base text each stored article was made from, as write_batch drew it (same seed, same draws)
    rng, vocabulary = random.Random(1), [w for _, t in base for w in t.split()]
    base_of = {}
    for i in range(stored):
        b = rng.randrange(len(base))
        title, text = base[b]
        mutate(title, vocabulary, rng, MUTATION), mutate(text, vocabulary, rng, MUTATION)
        base_of[f"stored-{i}"] = b
    if articles.num_rows != stored:
        raise SystemExit(f"the stored warehouse holds {articles.num_rows} articles, not {stored}: {flow['counts']}")
    ids = articles.column("article_id").to_pylist()
    bases = np.array([base_of[r] for r in articles.column("record_id").to_pylist()])
    sentences, tokens, mentions = _nlp_rows_of_base(base)
    counts: dict[str, int] = {}
    nlp_started = time.perf_counter()
    # loaded as a real run's batches would be: one load per `chunk` articles (memory: one chunk's rows at a time)
    for lo in range(0, len(ids), chunk):
        c_ids, c_bases = ids[lo:lo + chunk], bases[lo:lo + chunk]
        run_id = stable_id("r", "growth-bench", lo, time.time())
        for name, rows in (("sentences", sentences), ("tokens", tokens), ("mentions", mentions)):
            per_base = np.bincount(rows.column("base").to_numpy(), minlength=len(base))
            starts = np.concatenate([[0], np.cumsum(per_base)[:-1]])
            order = pc.sort_indices(rows, [("base", "ascending")]).to_numpy()
            take = np.concatenate([order[starts[b]:starts[b] + per_base[b]] for b in c_bases])
            article_index = np.repeat(np.arange(len(c_ids)), per_base[c_bases])
            data = rows.take(pa.array(take)).drop_columns(["base"])
            data = data.append_column("article_id", pa.array(c_ids).take(pa.array(article_index)))
            if name == "mentions":
                mention_ids = [stable_id("m", a, s, e) for a, s, e in zip(data.column("article_id").to_pylist(),
                                                                          data.column("start_char").to_pylist(),
                                                                          data.column("end_char").to_pylist())]
                data = data.append_column("mention_id", pa.array(mention_ids))
            for field in schema(name):
                if field.name not in data.column_names:
                    data = data.append_column(field.name, pa.nulls(data.num_rows, field.type))
            load.stage(warehouse, run_id, name, data.select(schema(name).names), part="bench")
            counts[name] = counts.get(name, 0) + data.num_rows
            del data
        now = pa.scalar(time.time() * 1e6, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
        n_sent = np.bincount(sentences.column("base").to_numpy(), minlength=len(base))[c_bases]
        n_tok = np.bincount(tokens.column("base").to_numpy(), minlength=len(base))[c_bases]
        c_art = articles.slice(lo, len(c_ids))
        parses = pa.table({"content_hash": c_art.column("content_hash"),
                           "model_version": pa.array(["ur:bench"] * len(c_ids)), "article_id": c_art.column("article_id"),
                           "language": pa.array(["ur"] * len(c_ids)), "num_sentences": pa.array(n_sent, pa.int32()),
                           "num_tokens": pa.array(n_tok, pa.int32()),
                           "parsed_at": pa.array([now.as_py()] * len(c_ids), pa.timestamp("us", tz="UTC"))})
        load.stage(warehouse, run_id, "parses", parses, part="bench")
        load.load_run(warehouse, run_id)
    return {"articles": len(ids), **counts, "flow_seconds": round(flow["seconds"], 1),
            "nlp_rows_seconds": round(time.perf_counter() - nlp_started, 1),
            "build_seconds": round(time.perf_counter() - started, 1)}


def stored_records(workdir: Path) -> list[dict]:
    return [json.loads(line) for path in sorted((workdir / "stored").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def size_runs(workdir: Path, sizes: list[int], rounds: int = 1, batch_size: int | None = None,
              keep_largest: bool = False) -> None:
    """The issue's "Size" check: one run of n articles, ingest -> dedup -> load, into an empty warehouse, each in
    a fresh process; with several rounds the sizes alternate (10k, 100k, 10k, 100k, ...), so each ratio compares
    runs made under the same load. Memory: the run's own peak (VmHWM) and the process tree's (plus every child's
    VmHWM, e.g. Prefect's ephemeral server; and the largest sampled sum of VmRSS over the tree).
    ``keep_largest``: the last run of the largest size stays as WORKDIR/stored-warehouse (its input as
    WORKDIR/stored), the articles build_stored would put there, so a later ``--stored N --workdir WORKDIR``
    adds only their NLP rows."""
    largest = max(sizes)
    folders = {n: (workdir / "stored", workdir / "stored-warehouse") if n == largest and keep_largest else
               (workdir / f"size-{n}", workdir / f"size-{n}-warehouse") for n in sizes}
    for n in sizes:  # the articles build_stored would make (prefix, seed): a kept run is a stored warehouse
        write_batch(folders[n][0], "stored", n, seed=1)
    print(f"| round | articles | {' | '.join(STAGES)} | stages s | wall s | ms per article (wall) | "
          "run peak MB | tree peak MB | tree RSS sampled MB |")
    print("|---|---:|" + "---:|" * (len(STAGES) + 7))
    per: dict[int, list[float]] = {}
    for r in range(rounds):
        for n in sizes:
            batch, warehouse = folders[n]
            shutil.rmtree(warehouse, ignore_errors=True)
            load = os.getloadavg()[0]
            res = run_flow(batch, warehouse, batch_size=batch_size)
            sec = [res["stage_seconds"].get(s, 0.0) for s in STAGES]
            per.setdefault(n, []).append(1000 * res["wall_seconds"] / n)
            print(f"| {r + 1} | {n} | " + " | ".join(f"{s:.1f}" for s in sec)
                  + f" | {sum(sec):.1f} | {res['wall_seconds']:.1f} | {per[n][-1]:.2f} | {res['peak_rss_mb']:.0f} | "
                  f"{res['tree_peak_mb']:.0f} | {res['tree_rss_sampled_mb']:.0f} |", flush=True)
            print(f"  load avg at start {load:.2f}; articles {res['counts'].get('articles')}, duplicates "
                  f"{res['counts'].get('duplicates')}; children {res['children']}; per stage peak MB "
                  f"{ {k: round(v) for k, v in res['stage_peak_mb'].items()} }", flush=True)
            laps = res.get("laps", {})
            if len(laps.get("load", [])) >= 10:  # within the run: the first 5 batches vs the last 5 (seconds each)
                print("  per batch, first 5 -> last 5 batches (mean s): " + ", ".join(
                    f"{st} {sum(v[:5]) / 5:.2f} -> {sum(v[-6:-1]) / 5:.2f}" for st, v in laps.items() if len(v) >= 10)
                    + f"; {len(laps['load'])} batches", flush=True)
                print("  per batch peak MB, max (batch) and first 5 -> last 5: " + ", ".join(
                    f"{st} {max(v)} (#{v.index(max(v)) + 1}) {v[:5]} -> {v[-5:]}"
                    for st, v in res.get("lap_peaks", {}).items()), flush=True)
            if not (keep_largest and n == largest and r == rounds - 1):
                shutil.rmtree(warehouse, ignore_errors=True)
    if len(sizes) == 2:
        small, big = sizes
        print("ratio of ms per article (wall), " + f"{big} / {small}, per round: "
              + ", ".join(f"{b / a:.2f}" for a, b in zip(per[small], per[big])))
    for n in sizes:
        if not (keep_largest and n == largest):
            shutil.rmtree(folders[n][0], ignore_errors=True)


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--child":
        _child_run(*argv[1:4])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stored", type=int, default=20_000, help="articles already in the warehouse (N)")
    ap.add_argument("--batch", type=int, default=2_000, help="new articles per run")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workdir", type=Path, help="where to build (default: a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--reuse-stored", action="store_true", help="use WORKDIR/stored-warehouse as it is (built "
                                                                  "by an earlier --keep run)")
    ap.add_argument("--batch-size", type=int, help="with --size: the run's batch size (default: KHABAR_BATCH_SIZE "
                                                      "or the settings' default, 2000)")
    ap.add_argument("--size", help="instead: one run of each of these many articles (e.g. 10000,20000) into an "
                                   "empty warehouse; seconds per article and peak memory")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    os.environ.update(ENV)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="khabar-growth-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.size:
        try:
            size_runs(workdir, [int(n) for n in args.size.split(",")], args.rounds, args.batch_size,
                      keep_largest=args.keep)
        finally:
            if not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
        return
    try:
        big = workdir / "stored-warehouse"
        if args.reuse_stored:  # a warehouse this script built before (--keep), perhaps grown by earlier rounds
            from warehouse import read_snapshot
            built = {"reused": str(big), **{t: read_snapshot(big, t, columns=[]).num_rows
                                            for t in ("articles", "tokens", "mentions")}}
            args.stored = built["articles"]
        else:
            built = build_stored(big, workdir, args.stored)
        size_mb = sum(p.stat().st_size for p in big.rglob("*") if p.is_file()) / 2**20
        print(f"stored warehouse: {json.dumps(built)}; {size_mb:.0f} MB on disk; load {os.getloadavg()}\n",
              flush=True)
        stored = stored_records(workdir)
        print("Seconds per stage (the flow's own stage_seconds), their total, the whole run's peak RSS; then each "
              "stage's own peak RSS ('after load': the run's report and artifacts, after the load).\n")
        print(f"| round | warehouse | {' | '.join(STAGES)} | total | wall s | peak RSS MB | tree peak MB | duplicates |")
        print("|---|---|" + "---:|" * (len(STAGES) + 5))
        for r in range(args.rounds):
            batch = workdir / f"batch-{r}"
            # new ids every invocation: a batch loaded by an earlier invocation into a reused warehouse would be a
            # re-run of articles it holds, not new articles
            stamp = int(time.time())
            write_batch(batch, f"new{r}-{stamp}", args.batch, seed=stamp + r, copies_of=stored)
            empty = workdir / f"empty-{r}"
            shutil.rmtree(empty, ignore_errors=True)
            runs = {"empty": run_flow(batch, empty), f"N={args.stored + r * (args.batch + args.batch // 10)}":
                    run_flow(batch, big)}
            shutil.rmtree(empty, ignore_errors=True)
            rows = []
            for name, res in runs.items():
                sec = [res["stage_seconds"].get(s, 0.0) for s in STAGES]
                rows.append((name, sec, sum(sec), res["peak_rss_mb"], res["counts"].get("duplicates", 0),
                             res["wall_seconds"], res["tree_peak_mb"]))
                print(f"| {r + 1} | {name} | " + " | ".join(f"{s:.2f}" for s in sec)
                      + f" | {sum(sec):.2f} | {res['wall_seconds']:.1f} | {res['peak_rss_mb']:.0f} | "
                      f"{res['tree_peak_mb']:.0f} | {rows[-1][4]} |", flush=True)
            (_, e_sec, e_tot, e_rss, _, e_wall, e_tree), (_, n_sec, n_tot, n_rss, _, n_wall, n_tree) = rows
            print(f"| {r + 1} | ratio | " + " | ".join(f"{n / e:.2f}" if e else "-" for n, e in zip(n_sec, e_sec))
                  + f" | {n_tot / e_tot:.2f} | {n_wall / e_wall:.2f} | {n_rss / e_rss:.2f} | {n_tree / e_tree:.2f} | |")
            for name, res in runs.items():
                print(f"| {r + 1} | {name}: seconds per stage, each batch | " + "; ".join(
                    f"{st} {[round(x, 2) for x in v]}" for st, v in res.get("laps", {}).items()) + " | | |")
                print(f"| {r + 1} | {name}: peak MB per stage, each batch | " + "; ".join(
                    f"{st} {v}" for st, v in res.get("lap_peaks", {}).items()) + " | | |")
            peaks = [[res["stage_peak_mb"].get(s, 0.0) for s in (*STAGES, "after load")] for res in runs.values()]
            print(f"| {r + 1} | peak MB per stage, empty -> N (ratio) | " + " | ".join(
                f"{e:.0f} -> {n:.0f} ({n / e:.2f})" for e, n in zip(*peaks)) + " | | |")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
