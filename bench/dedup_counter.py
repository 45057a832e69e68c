"""Measure tasks.dedup on COUNTER (dev half): recall on WD pairs, PD flag rate, ND false positives.

Usage: python bench/dedup_counter.py [SHARED_DIR or counter_dev DIR] [--quick: defaults only]
       [--runs=K: the articles in K runs, through a real warehouse's stored band keys, against a full index]
Defaults to ../shared relative to the repo root. Prints a markdown table; timings are informative only.
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import schemas  # noqa: E402
from tasks.dedup import DEFAULT_CONFIG, DedupConfig, deduplicate  # noqa: E402

THRESHOLDS = (0.2, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8)
SHINGLE_SIZES = (1, 2, 3, 4, 5)
NUM_PERM = 128


def counter_dir(arg: str | None) -> Path:
    base = Path(arg) if arg else REPO.parent / "shared"
    return base if (base / "pairs.jsonl").exists() else base / "data" / "counter_dev"


def load(directory: Path) -> tuple[list[tuple[str, str]], list[dict]]:
    with open(directory / "docs.jsonl", encoding="utf-8") as fh:
        docs = [json.loads(line) for line in fh]
    with open(directory / "pairs.jsonl", encoding="utf-8") as fh:
        pairs = [json.loads(line) for line in fh]
    return [(d["id"], d["text"]) for d in docs], pairs


@dataclass(frozen=True)
class Scores:
    wd_recall: float
    pd_flagged: float
    nd_fp: float
    unlisted: int  # flagged links between articles that are not a pair in pairs.jsonl
    unlisted_exact: int  # ... of which exact copies (COUNTER reuses a few agency texts in two pairs)
    duplicates: int
    seconds: float


def score(articles: list[tuple[str, str]], pairs: list[dict], config: DedupConfig) -> Scores:
    start = time.perf_counter()
    decisions = deduplicate(articles, schemas.empty_table("signatures"), config)
    seconds = time.perf_counter() - start
    link = {d.article_id: d.duplicate_of for d in decisions if d.duplicate_of}
    exact = {d.article_id for d in decisions if d.score == 1.0}
    # docs.jsonl lists each source before its derived article, so "caught" means derived -> source, or to the
    # source's own canonical when the source is itself a copy of an earlier article.
    flagged = {p["pair_id"]: link.get(p["derived_id"]) in (p["source_id"], link.get(p["source_id"], p["source_id"]))
               for p in pairs}

    def rate(label: str) -> float:
        ids = [p["pair_id"] for p in pairs if p["label"] == label]
        return sum(flagged[i] for i in ids) / len(ids)

    known = {frozenset((p["source_id"], p["derived_id"])) for p in pairs}
    unlisted = [a for a, b in link.items() if frozenset((a, b)) not in known]
    # A derived article linked to its source's canonical is its pair, not an unlisted link.
    pair_of = {p["derived_id"]: p["source_id"] for p in pairs}
    unlisted = [a for a in unlisted if not (a in pair_of and flagged_pair(a, pair_of, link))]
    return Scores(rate("WD"), rate("PD"), rate("ND"), len(unlisted), sum(a in exact for a in unlisted),
                  len(link), seconds)


def flagged_pair(derived: str, pair_of: dict[str, str], link: dict[str, str]) -> bool:
    source = pair_of[derived]
    return link.get(derived) in (source, link.get(source, source))


def cross_run(articles: list[tuple[str, str]], runs: int) -> tuple[dict[str, str], dict[str, str], float, float]:
    """The articles in ``runs`` runs (article i in run i % runs, so most pairs straddle two runs), deduplicated
    a) against an index of every stored signature (before signature_bands) and b) as the flow does it now,
    through a real warehouse (stored band keys, filtered reads, the loader). Returns both link maps and seconds."""
    import tempfile

    from flows.pipeline import dedup_rows
    from khabar.config import Settings
    from tasks import load as loader

    full, indexed, t_full, t_indexed = {}, {}, 0.0, 0.0
    stored = schemas.empty_table("signatures")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(warehouse=Path(tmp) / "wh")
        for k in range(runs):
            batch = articles[k::runs]
            start = time.perf_counter()
            decisions = deduplicate(batch, stored, DEFAULT_CONFIG)
            t_full += time.perf_counter() - start
            full.update({d.article_id: d.duplicate_of for d in decisions if d.duplicate_of})
            stored = schemas.to_arrow("signatures", stored.to_pylist() + [d.signature for d in decisions if d.signature])
            rows = [{"article_id": a, "text": t} for a, t in batch]
            start = time.perf_counter()
            signatures, bands = dedup_rows(rows, settings)
            t_indexed += time.perf_counter() - start
            indexed.update({r["article_id"]: r["duplicate_of"] for r in rows if r["duplicate_of"]})
            loader.stage(settings.warehouse, f"run{k}", "signatures", signatures)
            loader.stage(settings.warehouse, f"run{k}", "signature_bands", bands)
            loader.load_run(settings.warehouse, f"run{k}")
    return full, indexed, t_full, t_indexed


def main(argv: list[str]) -> None:
    args = [a for a in argv if not a.startswith("--")]
    articles, pairs = load(counter_dir(args[0] if args else None))
    runs = next((int(a.split("=", 1)[1]) for a in argv if a.startswith("--runs=")), 0)
    if runs:
        full, indexed, t_full, t_indexed = cross_run(articles, runs)
        run_of = {a: i % runs for i, (a, _) in enumerate(articles)}
        across = sum(1 for a, b in indexed.items() if run_of[a] != run_of[b])
        print(f"{len(articles)} docs in {runs} runs: {len(indexed)} duplicate links through the stored index "
              f"({across} across runs), {len(full)} against every stored signature; identical: {indexed == full}; "
              f"dedup seconds {t_indexed:.2f} (with warehouse reads) vs {t_full:.2f}")
        return
    counts = {lab: sum(p["label"] == lab for p in pairs) for lab in ("WD", "PD", "ND")}
    grid = [(DEFAULT_CONFIG.threshold, DEFAULT_CONFIG.shingle_size)] if "--quick" in argv else [(t, k) for k in SHINGLE_SIZES for t in THRESHOLDS]
    print(f"{len(articles)} docs; pairs WD={counts['WD']} PD={counts['PD']} ND={counts['ND']}; num_perm={NUM_PERM}\n")
    print("| shingle | threshold | WD recall | PD flagged | ND FP | unlisted links (exact) | duplicates | seconds |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for threshold, size in grid:
        s = score(articles, pairs, DedupConfig(threshold, NUM_PERM, size))
        print(f"| {size} | {threshold:.2f} | {s.wd_recall:.3f} | {s.pd_flagged:.3f} | {s.nd_fp:.3f} "
              f"| {s.unlisted} ({s.unlisted_exact}) | {s.duplicates} | {s.seconds:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
