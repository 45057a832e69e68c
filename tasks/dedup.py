"""Exact and near-duplicate detection: content hashes, then MinHash LSH over word shingles.

Decisions, per article in first-seen order:
1. Re-run: an article_id that already has a row in ``existing`` stays canonical (same decision, same signature).
2. Exact: same ``content_hash`` as a canonical article (earlier run or earlier in this batch): score 1.0.
3. Near: MinHash LSH candidates among canonical articles, each verified by estimated Jaccard >= threshold
   (LSH banding alone lets through false candidates); the best-scoring candidate wins, ties go to the
   first seen. Only canonical articles are indexed, so a duplicate always points at a canonical one.
4. Otherwise canonical: a ``signatures`` row is returned so later runs can match against it.

``existing`` rows whose num_perm/shingle_size differ from the config cannot be recomputed (their text is not
in the signatures table) and cannot be compared with new signatures, so they are left out of LSH; their
content_hash still catches exact copies.

Signatures are datasketch MinHash with a fixed scheme and seed: the ``signatures`` table does not record
them, and sketches from another scheme or seed would compare as garbage, so they are module constants.
"""
from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

import numpy as np
import pyarrow as pa
from datasketch import MinHash, MinHashLSH

from tasks.normalize import normalize_for_match

MINHASH_SCHEME = "affine32"
MINHASH_SEED = 1
# Candidates are verified by estimated Jaccard afterwards, so the banding leans towards recall: an LSH false
# positive costs one comparison, an LSH false negative is a missed duplicate.
LSH_WEIGHTS = (0.2, 0.8)


@dataclass(frozen=True)
class DedupConfig:
    threshold: float  # minimum estimated Jaccard of word-shingle sets to call a near-duplicate
    num_perm: int
    shingle_size: int  # words per shingle, over normalize_for_match text with punctuation removed

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        if self.num_perm < 2:
            raise ValueError(f"num_perm must be >= 2, got {self.num_perm}")
        if self.shingle_size < 1:
            raise ValueError(f"shingle_size must be >= 1, got {self.shingle_size}")


# Measured on COUNTER dev (bench/dedup_counter.py, docs/dedup.md): no ND pair and no cross-story link flagged,
# with a margin of ~3 MinHash standard errors above the most similar ND pair. Settings should default to these.
DEFAULT_CONFIG = DedupConfig(threshold=0.4, num_perm=128, shingle_size=3)


@dataclass(frozen=True)
class DedupDecision:
    article_id: str
    content_hash: str
    duplicate_of: str | None  # first-seen canonical article_id, or None if canonical
    score: float | None  # 1.0 exact, estimated Jaccard for near-duplicates, None for canonical
    signature: dict | None  # `signatures` row for canonical articles, None for duplicates


def content_hash(text: str) -> str:
    """sha256 hex of the matching form: whitespace, diacritics and letter variants do not change it."""
    return hashlib.sha256(normalize_for_match(text).encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def _punctuation_to_space() -> dict[int, str]:
    # Papers differ in '۔' vs '.', quotes and dashes around the same words; those must not change shingles.
    # The BMP holds all punctuation news text uses; scanning all planes would cost ~1 s per process.
    return {cp: " " for cp in range(0x10000) if unicodedata.category(chr(cp)).startswith("P")}


def words(text: str) -> list[str]:
    """Words of the matching form, punctuation removed."""
    return normalize_for_match(text).translate(_punctuation_to_space()).split()


def shingles(text: str, size: int) -> set[str]:
    """Word n-grams; a text shorter than ``size`` words is one shingle (empty text: no shingles)."""
    toks = words(text)
    if len(toks) <= size:
        return {" ".join(toks)} if toks else set()
    return {" ".join(toks[i:i + size]) for i in range(len(toks) - size + 1)}


def minhash_values(text: str, num_perm: int, shingle_size: int) -> np.ndarray:
    """MinHash hash values (uint64) of the text's word shingles."""
    m = MinHash(num_perm=num_perm, seed=MINHASH_SEED, scheme=MINHASH_SCHEME)
    m.update_batch(s.encode("utf-8") for s in sorted(shingles(text, shingle_size)))
    return m.digest().astype(np.uint64)


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


_EMPTY = np.uint64((1 << 32) - 1)  # affine32's value for "no shingles"


def _minhash(values: np.ndarray) -> MinHash:
    return MinHash(seed=MINHASH_SEED, scheme=MINHASH_SCHEME, hashvalues=values.astype(np.uint32))


class _Index:
    """Canonical articles seen so far: by content hash, and by MinHash in an LSH index."""

    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self.lsh = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm, weights=LSH_WEIGHTS)
        self.by_hash: dict[str, tuple[str, float]] = {}  # content_hash -> (canonical id, score to it)
        self.values: dict[str, np.ndarray] = {}
        self.order: dict[str, int] = {}  # first-seen rank, for deterministic tie-breaks

    def add_canonical(self, article_id: str, chash: str, values: np.ndarray | None) -> None:
        self.order.setdefault(article_id, len(self.order))
        self.by_hash.setdefault(chash, (article_id, 1.0))
        # An empty signature matches every other empty one; empty texts can only be exact duplicates.
        if values is not None and article_id not in self.values and not np.all(values == _EMPTY):
            self.values[article_id] = values
            self.lsh.insert(article_id, _minhash(values))

    def best_match(self, values: np.ndarray) -> tuple[str, float] | None:
        if not self.values or np.all(values == _EMPTY):
            return None
        best: tuple[str, float] | None = None
        for key in sorted(self.lsh.query(_minhash(values)), key=self.order.__getitem__):
            score = estimated_jaccard(values, self.values[key])
            if score >= self.config.threshold and (best is None or score > best[1]):
                best = (key, score)
        return best


def _existing_rows(existing: pa.Table) -> list[dict[str, Any]]:
    cols = ["article_id", "content_hash", "num_perm", "shingle_size", "minhash"]
    return existing.select(cols).to_pylist() if existing.num_rows else []


def deduplicate(articles: Sequence[tuple[str, str]], existing: pa.Table, config: DedupConfig) -> list[DedupDecision]:
    """One decision per (article_id, cleaned text), in input order; see the module docstring for the rules.

    ``existing`` is the ``signatures`` table of earlier runs (may be empty). An article_id repeated within
    ``articles`` gets the decision of its first occurrence.
    """
    index = _Index(config)
    known: set[str] = set()
    for row in _existing_rows(existing):
        known.add(row["article_id"])
        compatible = (row["num_perm"] == config.num_perm and row["shingle_size"] == config.shingle_size
                      and len(row["minhash"]) == config.num_perm)
        index.add_canonical(row["article_id"], row["content_hash"],
                            np.asarray(row["minhash"], dtype=np.uint64) if compatible else None)

    decisions: list[DedupDecision] = []
    decided: dict[str, DedupDecision] = {}
    for article_id, text in articles:
        if article_id in decided:
            decisions.append(decided[article_id])
            continue
        chash = content_hash(text)
        values = None
        match: tuple[str, float] | None = None
        if article_id not in known:  # a re-run article never matches anything, itself included
            match = index.by_hash.get(chash)
            if match is None:
                values = minhash_values(text, config.num_perm, config.shingle_size)
                match = index.best_match(values)
        if match is None:
            if values is None:
                values = minhash_values(text, config.num_perm, config.shingle_size)
            index.add_canonical(article_id, chash, values)
            signature = {"article_id": article_id, "content_hash": chash, "num_perm": config.num_perm,
                         "shingle_size": config.shingle_size, "minhash": [int(v) for v in values]}
            decision = DedupDecision(article_id, chash, None, None, signature)
        else:
            canonical, score = match
            # An exact copy of this duplicate later on is a duplicate of the same canonical, with the same score.
            index.by_hash.setdefault(chash, (canonical, score))
            decision = DedupDecision(article_id, chash, canonical, score, None)
        decided[article_id] = decision
        decisions.append(decision)
    return decisions
