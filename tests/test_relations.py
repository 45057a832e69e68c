"""Role and affiliation relations on Urdu sentences written for these tests (real Stanza parse)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tasks.events import load_lexicon
from tasks.relations import extract_relations

pytestmark = pytest.mark.slow

ENTITIES = {
    "TUR": {"entity_id": "TUR", "canonical_name": "Turkey", "entity_type": "COUNTRY", "country_code": "TUR"},
    "FRA": {"entity_id": "FRA", "canonical_name": "France", "entity_type": "COUNTRY", "country_code": "FRA"},
    "IRN": {"entity_id": "IRN", "canonical_name": "Iran", "entity_type": "COUNTRY", "country_code": "IRN"},
    "ERD": {"entity_id": "ERD", "canonical_name": "Recep Tayyip Erdogan", "entity_type": "PERSON", "country_code": "TUR"},
    "MAC": {"entity_id": "MAC", "canonical_name": "Emmanuel Macron", "entity_type": "PERSON", "country_code": "FRA"},
    "ZAR": {"entity_id": "ZAR", "canonical_name": "Javad Zarif", "entity_type": "PERSON", "country_code": "IRN"},
    "SAL": {"entity_id": "SAL", "canonical_name": "Salma Raza", "entity_type": "PERSON", "country_code": None},
    "LUMS": {"entity_id": "LUMS", "canonical_name": "LUMS", "entity_type": "ORGANIZATION", "country_code": "PAK"},
}
ALIASES = {"ترکی": "TUR", "فرانس": "FRA", "ایران": "IRN", "رجب طیب اردوان": "ERD", "ایمانوئل میکرون": "MAC",
           "جواد ظریف": "ZAR", "سلمیٰ رضا": "SAL", "لمز": "LUMS"}


def relations(nlp, text: str) -> list[dict]:
    import re
    _, sentences, tokens, _ = nlp("r1", text)
    mentions = []
    for alias, eid in ALIASES.items():
        for m in re.finditer(r"(?<!\w)" + re.escape(alias) + r"(?!\w)", text):
            si = next(s["sentence_index"] for s in sentences if s["start_char"] <= m.start() < s["end_char"])
            mentions.append({"article_id": "r1", "sentence_index": si, "start_char": m.start(),
                             "end_char": m.end(), "text": alias, "ner_label": None, "entity_id": eid})
    return extract_relations({"article_id": "r1", "text": text}, sentences, tokens, mentions, ENTITIES)


def facts(rows):
    return {(r["subject_entity_id"], r["predicate"], r["object_entity_id"]) for r in rows}


def test_demonym_title_person(nlp):
    rows = relations(nlp, "ترک صدر رجب طیب اردوان نے تقریر کی۔")
    assert facts(rows) == {("ERD", "head_of", "TUR")}
    assert rows[0]["evidence"] == "ترک صدر رجب طیب اردوان" and 0 < rows[0]["confidence"] <= 1


def test_country_genitive_title_person(nlp):
    rows = relations(nlp, "ایران کے وزیر خارجہ جواد ظریف نے بیان دیا۔")
    assert facts(rows) == {("ZAR", "foreign_minister_of", "IRN")}


def test_modifier_between_country_and_title(nlp):
    assert facts(relations(nlp, "فرانس کے نئے صدر ایمانوئل میکرون پہنچ گئے۔")) == {("MAC", "head_of", "FRA")}


def test_former_title_is_marked(nlp):
    assert facts(relations(nlp, "ایران کے سابق وزیر خارجہ جواد ظریف نے کہا۔")) == \
        {("ZAR", "former_foreign_minister_of", "IRN")}


def test_elect_title_is_not_the_office(nlp):
    assert facts(relations(nlp, "فرانس کے نومنتخب صدر ایمانوئل میکرون پہنچ گئے۔")) == {("MAC", "elect_head_of", "FRA")}


def test_affiliated_with(nlp):
    rows = relations(nlp, "لمز سے وابستہ ماہر معاشیات سلمیٰ رضا نے کہا کہ مہنگائی کم ہوگی۔")
    assert facts(rows) == {("SAL", "affiliated_with", "LUMS")}


def test_no_title_no_relation(nlp):
    assert relations(nlp, "ایران اور ترکی نے بات چیت کی اور رجب طیب اردوان واپس چلے گئے۔") == []


def test_relation_ids_are_stable(nlp):
    a = relations(nlp, "ترک صدر رجب طیب اردوان نے تقریر کی۔")
    b = relations(nlp, "ترک صدر رجب طیب اردوان نے تقریر کی۔")
    assert [r["relation_id"] for r in a] == [r["relation_id"] for r in b]


def test_relation_patterns_schema():
    data = yaml.safe_load((Path(__file__).parent.parent / "khabar/lang/ur/relation_patterns.yaml")
                          .read_text(encoding="utf-8"))
    slot_types = {"COUNTRY", "ORG", "PERSON", "ENTITY", "DEMONYM", "GEN", "TITLE", "MOD", "SKIP"}
    for t in data["titles"]:
        assert set(t) == {"words", "predicate", "role"} and t["role"] in {"GOV", "MIL", "MED", "LEG"}
    for p in data["patterns"]:
        assert {"name", "slots", "subject", "object", "predicate", "confidence"} <= set(p)
        assert p["subject"] in p["slots"] and p["object"] in p["slots"], p["name"]
        assert p["predicate"] != "title" or "TITLE" in p["slots"]
        assert 0 < p["confidence"] <= 1
        assert any(s in slot_types for s in p["slots"])
    for dem, iso in data["demonyms"].items():
        assert len(iso) == 3 and iso.isupper()
    load_lexicon()  # the loader accepts it
