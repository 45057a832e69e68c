"""Role and affiliation relations from titles and appositions ("روسی صدر پوتن" -> Putin head_of Russia).

Patterns are data (khabar/lang/ur/relation_patterns.yaml): a sentence is read as a sequence of slots (linked
mentions by entity type, demonyms, genitive markers, titles, title modifiers, literal words) and each pattern is
matched at every position. Matching is on surface order, not on the parse: an apposition's attachment is one of
the things the small parser gets wrong most often, while the word order of a title phrase is fixed.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from tasks.events import Lexicon, Word, _attach_mentions, _word_matches, load_lexicon, sentence_words
from tasks.ids import stable_id

PLACE_TYPES = {"COUNTRY", "LOCATION", "GPE", "CITY"}
MAX_SKIP = 6  # "سے وابستہ ماہر اور سابق رکن پارلیمنٹ X"


def _etype(mention: dict, entities: dict[str, dict]) -> str:
    ent = entities.get(mention.get("entity_id") or "") or {}
    t = (ent.get("entity_type") or mention.get("ner_label") or "").upper()
    return {"NEP": "PERSON", "NEL": "LOCATION", "NEO": "ORGANIZATION"}.get(t, t)


def _country_of_iso(iso: str, entities: dict[str, dict]) -> str | None:
    for e in entities.values():
        if e.get("country_code") == iso and (e.get("entity_type") or "").upper() == "COUNTRY":
            return e["entity_id"]
    return None


def _mention_span(words: list[Word], i: int) -> int:
    """Index one past the last word of the mention starting at i."""
    m = words[i].mention
    j = i
    while j < len(words) and words[j].mention == m:
        j += 1
    return j


def _match(slots: list[str], k: int, words: list[Word], i: int, lex: Lexicon, mentions, entities,
           bound: dict[str, Any]) -> dict[str, Any] | None:
    if k == len(slots):
        bound["_end"] = i
        return bound
    slot = slots[k]
    if slot == "MOD":  # zero or more modifiers
        j, qualifier = i, bound.get("qualifier")
        while j < len(words) and any(words[j].norm in v for v in lex.title_modifiers.values()):
            # former / elect (relation_patterns.yaml title_modifiers): the role is not held now
            qualifier = qualifier or next((q for q, ws in lex.title_modifiers.items()
                                           if q != "neutral" and words[j].norm in ws), None)
            j += 1
        return _match(slots, k + 1, words, j, lex, mentions, entities, {**bound, "qualifier": qualifier})
    if slot == "SKIP":
        for n in range(0, MAX_SKIP + 1):
            if i + n > len(words) or any(words[x].mention is not None for x in range(i, i + n)):
                break
            got = _match(slots, k + 1, words, i + n, lex, mentions, entities, dict(bound))
            if got:
                return got
        return None
    if i >= len(words):
        return None
    w = words[i]
    if slot in ("COUNTRY", "ORG", "PERSON", "ENTITY"):
        if w.mention is None or (i > 0 and words[i - 1].mention == w.mention):
            return None
        m = mentions[w.mention]
        et = _etype(m, entities)
        ok = (slot == "ENTITY" or (slot == "PERSON" and et == "PERSON") or (slot == "COUNTRY" and et in PLACE_TYPES)
              or (slot == "ORG" and et not in PLACE_TYPES | {"PERSON"}))
        if not ok:
            return None
        return _match(slots, k + 1, words, _mention_span(words, i), lex, mentions, entities,
                      {**bound, slot: m["entity_id"], "_start": bound.get("_start", i)})
    if slot == "DEMONYM":
        for dem, iso in _demonyms_by_first(lex).get(w.norm, ()):
            if all(i + x < len(words) and words[i + x].norm == dem[x] for x in range(len(dem))):
                eid = _country_of_iso(iso, entities)
                if eid:
                    return _match(slots, k + 1, words, i + len(dem), lex, mentions, entities,
                                  {**bound, slot: eid, "_start": bound.get("_start", i)})
        return None
    if slot == "GEN":
        return _match(slots, k + 1, words, i + 1, lex, mentions, entities, bound) if w.norm in lex.genitive else None
    if slot == "TITLE":
        for t in lex.titles:
            if all(i + x < len(words) and _word_matches(words[i + x], t.words[x]) for x in range(len(t.words))):
                got = _match(slots, k + 1, words, i + len(t.words), lex, mentions, entities, {**bound, "TITLE": t})
                if got:
                    return got
        return None
    # literal word
    return _match(slots, k + 1, words, i + 1, lex, mentions, entities, bound) if w.norm == slot else None


@lru_cache(maxsize=8)
def _demonyms_by_first(lex: Lexicon) -> dict[str, tuple[tuple[tuple[str, ...], str], ...]]:
    """The lexicon's demonyms by their first word (a slot is tried at every position of every sentence)."""
    out: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for dem, iso in lex.demonyms.items():
        out.setdefault(dem[0], []).append((dem, iso))
    return {k: tuple(v) for k, v in out.items()}


def extract_relations(article: dict, sentences: list[dict], tokens: list[dict], mentions: list[dict],
                      entities: dict[str, dict], *, lexicon: Lexicon | None = None) -> list[dict]:
    """Relations rows (schemas.tables 'relations') for one article; one row per (subject, predicate, object)."""
    lex = lexicon or load_lexicon()
    text = article.get("text") or ""
    by_sent: dict[int, list[dict]] = {}
    for t in tokens:
        by_sent.setdefault(int(t["sentence_index"]), []).append(t)
    linked = [m for m in mentions if m.get("entity_id")]
    best: dict[tuple, dict] = {}
    for sent in sorted(sentences, key=lambda s: s["sentence_index"]):
        si = int(sent["sentence_index"])
        words = sentence_words(by_sent.get(si, []), lex)
        sm = sorted((m for m in linked if m.get("sentence_index") == si
                     or (m.get("sentence_index") is None and sent["start_char"] <= m["start_char"] < sent["end_char"])),
                    key=lambda m: m["start_char"])
        if not sm:
            continue  # every pattern relates a linked mention to something
        _attach_mentions(words, sm)
        for pat in lex.relation_patterns:
            for i in range(len(words)):
                got = _match(list(pat["slots"]), 0, words, i, lex, sm, entities, {})
                if not got:
                    continue
                subj, obj = got.get(pat["subject"]), got.get(pat["object"])
                if not subj or not obj or subj == obj:
                    continue
                pred = got["TITLE"].predicate if pat["predicate"] == "title" else pat["predicate"]
                if got.get("qualifier"):
                    pred = f"{got['qualifier']}_{pred}"  # former_head_of, elect_head_of
                s0, e0 = words[got["_start"]].start, words[got["_end"] - 1].end
                row = {
                    "relation_id": stable_id("rel", article["article_id"], subj, pred, obj),
                    "article_id": article["article_id"], "sentence_index": si, "subject_entity_id": subj,
                    "predicate": pred, "object_entity_id": obj,
                    "evidence": text[s0:e0] or " ".join(w.text for w in words[got["_start"]:got["_end"]]),
                    "confidence": float(pat["confidence"]),
                }
                key = (subj, pred, obj)
                if key not in best or best[key]["confidence"] < row["confidence"]:
                    best[key] = row
    return list(best.values())
