"""Exact and near-duplicate detection: content hashes, then MinHash LSH over word shingles.

Decisions, per article in first-seen order:
1. Re-run: an article_id that already has a row in ``existing`` stays canonical (same decision, same signature).
2. Exact: same ``content_hash`` as a canonical article (earlier run or earlier in this batch): score 1.0.
3. Near: MinHash LSH candidates among canonical articles, each verified by estimated Jaccard >= threshold
   (LSH banding alone lets through false candidates); the best-scoring candidate wins, ties go to the
   first seen. Only canonical articles are indexed, so a duplicate always points at a canonical one.
4. Otherwise canonical: a ``signatures`` row is returned so later runs can match against it.

Cross-run index: ``existing`` need not be every stored signature, only those that can matter to the batch:
the batch's own article_ids (re-runs), its content hashes (exact copies) and the stored canonical articles that
share an LSH band key with one of its articles (``band_keys``, stored in ``signature_bands``). LSH returns a
candidate only if it shares a band, so the decisions are the ones a full index would give.

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
from typing import Any, Callable, Sequence

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


@lru_cache(maxsize=None)
def lsh_layout(config: DedupConfig) -> tuple[int, int]:
    """(bands, rows per band) that MinHashLSH picks for this config (its own choice, so keys match its banding)."""
    lsh = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm, weights=LSH_WEIGHTS)
    return lsh.b, lsh.r


def layout_name(config: DedupConfig) -> str:
    bands, rows = lsh_layout(config)
    return f"p{config.num_perm}.s{config.shingle_size}.b{bands}.r{rows}"


def band_keys(values: np.ndarray, config: DedupConfig) -> list[int]:
    """One int64 key per LSH band: a hash of the layout, the band number and the band's hash values.

    Two signatures of one layout share a key when a band is equal (as MinHashLSH buckets them) or, once in
    about 2^64, by a hash collision: then the extra stored signature is fetched, and MinHashLSH, comparing
    the bands themselves, does not return it. Empty signatures have keys too (they never query the index).
    """
    bands, rows = lsh_layout(config)
    layout = layout_name(config).encode() + b"|"
    raw = values.astype(np.uint32)  # the values MinHashLSH bands (see _minhash)
    return [int.from_bytes(hashlib.blake2b(layout + i.to_bytes(4, "big") + raw[i * rows:(i + 1) * rows].tobytes(),
                                           digest_size=8).digest(), "big", signed=True)
            for i in range(bands)]


def band_rows(signatures: Sequence[dict], config: DedupConfig) -> list[dict]:
    """``signature_bands`` rows for ``signatures`` rows of this config (others have no place in its index)."""
    layout = layout_name(config)
    return [{"band_key": key, "article_id": sig["article_id"], "layout": layout}
            for sig in signatures if sig["num_perm"] == config.num_perm and sig["shingle_size"] == config.shingle_size
            for key in band_keys(np.asarray(sig["minhash"], dtype=np.uint64), config)]


@dataclass(frozen=True)
class BatchSketch:
    """Content hash and MinHash values of every distinct article of a batch, computed once."""

    hashes: dict[str, str]
    values: dict[str, np.ndarray]

    def band_keys(self, config: DedupConfig) -> list[int]:
        """The keys to look up in the stored index: every band of every non-empty signature of the batch."""
        return sorted({k for v in self.values.values() if not np.all(v == _EMPTY) for k in band_keys(v, config)})


def sketch_batch(articles: Sequence[tuple[str, str]], config: DedupConfig) -> BatchSketch:
    """Hashes and MinHash values of a batch (an article_id repeated keeps its first text, as deduplicate does)."""
    hashes: dict[str, str] = {}
    values: dict[str, np.ndarray] = {}
    for article_id, text in articles:
        if article_id not in hashes:
            hashes[article_id] = content_hash(text)
            values[article_id] = minhash_values(text, config.num_perm, config.shingle_size)
    return BatchSketch(hashes, values)


# reads earlier runs' rows of a table: (table, columns, where) -> rows; warehouse.read_earlier for one warehouse
EarlierReader = Callable[[str, "list[str] | None", Any], pa.Table]


def earlier_signatures(sketch: BatchSketch, config: DedupConfig,
                       read: EarlierReader) -> tuple[pa.Table, list[dict]]:
    """The stored signatures that can matter to the batch (its ids, its content hashes, the canonical articles
    sharing a band key with it), by article_id (filtered reads come back in no fixed order: this way a tie
    between two stored candidates is decided the same way every run); and ``signature_bands`` rows to store for
    signatures that have none in this layout yet (written before the index existed, or under another
    threshold): those are banded here once, from every stored signature of the layout, and the next runs read
    the stored keys.
    """
    layout, (bands, _) = layout_name(config), lsh_layout(config)
    this_config = {"num_perm": [config.num_perm], "shingle_size": [config.shingle_size]}
    keys = sketch.band_keys(config)
    backfill: list[dict] = []
    if read("signature_bands", [], {"layout": [layout]}).num_rows < bands * read("signatures", [], this_config).num_rows:
        indexed = set(read("signature_bands", ["article_id"], {"layout": [layout]}).column("article_id").to_pylist())
        backfill = band_rows([r for r in read("signatures", None, this_config).to_pylist()
                              if r["article_id"] not in indexed], config)
    wanted = set(keys)
    candidates = read("signature_bands", ["article_id"], {"band_key": keys}).column("article_id").to_pylist()
    candidates += [r["article_id"] for r in backfill if r["band_key"] in wanted]
    # the ids first (two key columns), then whole rows of those ids: read at once, the MinHash lists (1 kB a row)
    # of every stored signature were decoded before the filter (100,000 stored: 0.17 -> 0.10 s a batch)
    wanted_ids = read("signatures", ["article_id"], [{"article_id": [*sketch.hashes, *candidates]},
                                                     {"content_hash": list(sketch.hashes.values())}])
    stored = read("signatures", None, {"article_id": wanted_ids.column("article_id").to_pylist()})
    return stored.sort_by("article_id"), backfill


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


def deduplicate(articles: Sequence[tuple[str, str]], existing: pa.Table, config: DedupConfig,
                sketch: BatchSketch | None = None) -> list[DedupDecision]:
    """One decision per (article_id, cleaned text), in input order; see the module docstring for the rules.

    ``existing``: ``signatures`` rows of earlier runs, in a fixed order (a tie goes to the first; may be empty;
    the rows that matter to the batch are enough, see the module docstring). ``sketch``: the batch's hashes and
    MinHash values if already computed (``sketch_batch``). An article_id repeated within ``articles`` gets the
    decision of its first occurrence.
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
        chash = sketch.hashes[article_id] if sketch else content_hash(text)
        values = sketch.values[article_id] if sketch else None
        match: tuple[str, float] | None = None
        if article_id not in known:  # a re-run article never matches anything, itself included
            match = index.by_hash.get(chash)
            if match is None:
                if values is None:
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
