"""Measure tasks.dedup on COUNTER (dev half): recall on WD pairs, PD flag rate, ND false positives.

Usage: python bench/dedup_counter.py [SHARED_DIR or counter_dev DIR] [--quick: defaults only]
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


def main(argv: list[str]) -> None:
    args = [a for a in argv if not a.startswith("--")]
    articles, pairs = load(counter_dir(args[0] if args else None))
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
