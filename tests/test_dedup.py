"""tasks.dedup on real COUNTER articles (read from ../shared, never copied here)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import schemas
from tasks.dedup import (DEFAULT_CONFIG, DedupConfig, DedupDecision, content_hash, deduplicate,
                         estimated_jaccard, minhash_values, shingles)

EMPTY = schemas.empty_table("signatures")


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def docs(counter_dir: Path) -> dict[str, str]:
    return {d["id"]: d["text"] for d in _jsonl(counter_dir / "docs.jsonl")}


@pytest.fixture(scope="module")
def pairs(counter_dir: Path) -> list[dict]:
    return _jsonl(counter_dir / "pairs.jsonl")


@pytest.fixture(scope="module")
def full_run(docs: dict[str, str]) -> dict[str, DedupDecision]:
    decisions = deduplicate(list(docs.items()), EMPTY, DEFAULT_CONFIG)
    return {d.article_id: d for d in decisions}


def _jaccard(a: str, b: str, size: int) -> float:
    sa, sb = shingles(a, size), shingles(b, size)
    return len(sa & sb) / len(sa | sb)


def _by_jaccard(docs: dict[str, str], pairs: list[dict], label: str) -> list[dict]:
    """Pairs of a label, most similar (exact shingle Jaccard at the default size) first."""
    chosen = [p for p in pairs if p["label"] == label]
    return sorted(chosen, key=lambda p: -_jaccard(docs[p["source_id"]], docs[p["derived_id"]],
                                                  DEFAULT_CONFIG.shingle_size))


def _caught(run: dict[str, DedupDecision], pair: dict) -> bool:
    # The derived article points at its source, or at the source's canonical when the source is itself a copy.
    return run[pair["derived_id"]].duplicate_of == (run[pair["source_id"]].duplicate_of or pair["source_id"])


def _variant(text: str) -> str:
    """Same words, different bytes: doubled spaces, zabar on every alef, Arabic yeh/kaf, tatweel, ZWNJ."""
    return ("  " + text.replace(" ", "  \u200c").replace("\u0627", "\u0627\u064e")
            .replace("\u06cc", "\u064a").replace("\u06a9", "\u0643").replace("\u0628", "\u0628\u0640") + "\n")


def test_exact_duplicate_despite_whitespace_diacritics_and_letter_variants(docs: dict[str, str]) -> None:
    aid, text = next(iter(docs.items()))
    copy = _variant(text)
    assert copy != text and content_hash(copy) == content_hash(text)
    first, second = deduplicate([(aid, text), ("copy", copy)], EMPTY, DEFAULT_CONFIG)
    assert first.duplicate_of is None and first.score is None and first.signature is not None
    assert second == DedupDecision("copy", content_hash(text), aid, 1.0, None)


def test_content_hash_differs_for_different_words(docs: dict[str, str]) -> None:
    texts = list(docs.values())[:50]
    assert len({content_hash(t) for t in texts}) == len(set(texts))
    assert content_hash(texts[0]) != content_hash(texts[0] + " مزید")


def test_most_similar_wd_pairs_caught_with_verified_score(docs, pairs, full_run) -> None:
    for pair in _by_jaccard(docs, pairs, "WD")[:5]:
        derived = full_run[pair["derived_id"]]
        assert _caught(full_run, pair), pair["pair_id"]
        assert DEFAULT_CONFIG.threshold <= derived.score <= 1.0
        assert derived.signature is None


def test_counter_rates_at_defaults(docs, pairs, full_run) -> None:
    """Measured at the defaults (docs/dedup.md): WD recall 0.42, PD 0.007, ND 0, no cross-story link."""
    def rate(label: str) -> float:
        chosen = [p for p in pairs if p["label"] == label]
        return sum(_caught(full_run, p) for p in chosen) / len(chosen)

    assert rate("WD") >= 0.35
    assert rate("PD") <= 0.03
    assert rate("ND") <= 1 / 88
    # Near-copies in the textual sense (half the 3-word shingles shared) are what MinHash must not miss.
    near = [p for p in pairs if p["label"] == "WD"
            and _jaccard(docs[p["source_id"]], docs[p["derived_id"]], DEFAULT_CONFIG.shingle_size) >= 0.5]
    assert len(near) >= 10
    assert sum(_caught(full_run, p) for p in near) / len(near) >= 0.95
    # Links between articles of different pairs are allowed only for verbatim reuse (COUNTER repeats a few
    # agency texts across pairs): every near-duplicate link must be a listed pair.
    listed = {frozenset((p["source_id"], p["derived_id"])) for p in pairs}
    source_of = {p["derived_id"]: p["source_id"] for p in pairs}
    for d in full_run.values():
        if d.duplicate_of and d.score < 1.0 and frozenset((d.article_id, d.duplicate_of)) not in listed:
            src = source_of.get(d.article_id)
            assert src is not None and full_run[src].duplicate_of == d.duplicate_of, d.article_id


def test_hardest_nd_pairs_not_flagged(docs, pairs, full_run) -> None:
    for pair in _by_jaccard(docs, pairs, "ND")[:5]:
        assert full_run[pair["derived_id"]].duplicate_of is None, pair["pair_id"]


def test_duplicates_point_at_earlier_canonicals(docs: dict[str, str]) -> None:
    # Unigrams at a low threshold chain many articles together: the case where pointing at a duplicate could happen.
    decisions = deduplicate(list(docs.items()), EMPTY, DedupConfig(0.25, 64, 1))
    position = {d.article_id: i for i, d in enumerate(decisions)}
    canonical = {d.article_id for d in decisions if d.duplicate_of is None}
    duplicates = [d for d in decisions if d.duplicate_of is not None]
    assert len(duplicates) > 100
    for d in duplicates:
        assert d.duplicate_of in canonical and position[d.duplicate_of] < position[d.article_id]
        assert d.signature is None and 0.25 <= d.score <= 1.0
    for d in decisions:
        if d.duplicate_of is None:
            assert d.score is None and d.signature["article_id"] == d.article_id


def test_near_duplicate_score_is_estimated_jaccard(docs, full_run) -> None:
    near = [d for d in full_run.values() if d.duplicate_of and d.score < 1.0]
    assert near
    for d in near:
        canonical = full_run[d.duplicate_of].signature["minhash"]
        values = minhash_values(docs[d.article_id], DEFAULT_CONFIG.num_perm, DEFAULT_CONFIG.shingle_size)
        assert d.score == estimated_jaccard(values, canonical)


def _split_wd(docs, pairs) -> tuple[list[tuple[str, str]], dict]:
    """Batch 1: the first 100 docs plus the source of a WD near-copy (not verbatim); returns it and that pair."""
    pair = next(p for p in _by_jaccard(docs, pairs, "WD")
                if _jaccard(docs[p["source_id"]], docs[p["derived_id"]], DEFAULT_CONFIG.shingle_size + 1) < 0.9)
    ids = [i for i in list(docs)[:100] if i != pair["derived_id"]]
    if pair["source_id"] not in ids:
        ids.append(pair["source_id"])
    return [(i, docs[i]) for i in ids], pair


def _signatures(decisions: list[DedupDecision]):
    return schemas.to_arrow("signatures", [d.signature for d in decisions if d.signature])


def test_cross_run_near_and_exact_copies(docs, pairs) -> None:
    batch1, pair = _split_wd(docs, pairs)
    existing = _signatures(deduplicate(batch1, EMPTY, DEFAULT_CONFIG))
    assert pair["source_id"] in existing.column("article_id").to_pylist()
    batch2 = [(pair["derived_id"], docs[pair["derived_id"]]), ("copy", _variant(docs[pair["source_id"]])),
              ("new", list(docs.values())[-1])]  # a story from far later in the corpus
    near, exact, new = deduplicate(batch2, existing, DEFAULT_CONFIG)
    assert near.duplicate_of == pair["source_id"] and DEFAULT_CONFIG.threshold <= near.score < 1.0
    assert exact.duplicate_of == pair["source_id"] and exact.score == 1.0
    assert new.duplicate_of is None and new.signature is not None


def test_copy_of_a_duplicate_points_at_its_canonical(docs, pairs) -> None:
    _, pair = _split_wd(docs, pairs)
    derived = docs[pair["derived_id"]]
    source, near, copy = deduplicate([(pair["source_id"], docs[pair["source_id"]]), (pair["derived_id"], derived),
                                      ("copy", _variant(derived))], EMPTY, DEFAULT_CONFIG)
    assert near.duplicate_of == pair["source_id"] and near.score < 1.0
    assert (copy.duplicate_of, copy.score) == (pair["source_id"], near.score)


def test_incompatible_signatures_still_match_exactly_but_not_near(docs, pairs) -> None:
    batch1, pair = _split_wd(docs, pairs)
    other = DedupConfig(DEFAULT_CONFIG.threshold, DEFAULT_CONFIG.num_perm, DEFAULT_CONFIG.shingle_size + 1)
    existing = _signatures(deduplicate(batch1, EMPTY, other))
    near, exact = deduplicate([(pair["derived_id"], docs[pair["derived_id"]]),
                               ("copy", docs[pair["source_id"]] + " ")], existing, DEFAULT_CONFIG)
    assert near.duplicate_of is None  # its shingle size differs: that signature cannot be compared
    assert near.signature["shingle_size"] == DEFAULT_CONFIG.shingle_size
    assert exact.duplicate_of == pair["source_id"] and exact.score == 1.0


def test_rerun_of_same_articles_gives_same_decisions(docs, pairs) -> None:
    batch1, pair = _split_wd(docs, pairs)
    batch = batch1 + [(pair["derived_id"], docs[pair["derived_id"]])]
    first = deduplicate(batch, EMPTY, DEFAULT_CONFIG)
    assert any(d.duplicate_of for d in first)
    again = deduplicate(batch, _signatures(first), DEFAULT_CONFIG)
    assert again == first
    # An article already stored is never a duplicate of itself, even when it is the only one sent.
    solo = deduplicate([(pair["source_id"], docs[pair["source_id"]])], _signatures(first), DEFAULT_CONFIG)
    assert solo[0].duplicate_of is None and solo[0].signature == next(
        d.signature for d in first if d.article_id == pair["source_id"])


def test_deterministic_and_repeated_ids(docs) -> None:
    batch = list(docs.items())[:80]
    assert deduplicate(batch, EMPTY, DEFAULT_CONFIG) == deduplicate(batch, EMPTY, DEFAULT_CONFIG)
    aid, text = batch[0]
    once, twice = deduplicate([(aid, text), (aid, text)], EMPTY, DEFAULT_CONFIG)
    assert once == twice and once.duplicate_of is None


def test_empty_and_short_texts() -> None:
    decisions = deduplicate([("a", ""), ("b", " \u200c "), ("c", "ایک"), ("d", "دو")], EMPTY, DEFAULT_CONFIG)
    assert [d.duplicate_of for d in decisions] == [None, "a", None, None]
    assert shingles("ایک دو", 3) == {"ایک دو"} and shingles("", 3) == set()
    assert shingles("ایک، دو۔ تین", 1) == {"ایک", "دو", "تین"}


@pytest.mark.parametrize("bad", [(0.0, 128, 3), (1.5, 128, 3), (0.5, 1, 3), (0.5, 128, 0)])
def test_config_rejects_nonsense(bad) -> None:
    with pytest.raises(ValueError):
        DedupConfig(*bad)
