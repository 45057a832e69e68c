"""South Asian actors (people_south_asia.yaml, organizations_south_asia.yaml): data, dated codes, ambiguity guards.

The linking checks use a whitespace tokenizer instead of Stanza (no model load): they test that the dictionary
names are found and coded, not the parser.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from tasks.actors import ACTORS_DIR, read_actor_file
from tasks.link import link_article
from tasks.normalize import normalize_for_match

FILES = [ACTORS_DIR / "people_south_asia.yaml", ACTORS_DIR / "organizations_south_asia.yaml"]
SOUTH_ASIA = {"PAK", "IND", "AFG", "BGD", "LKA", "NPL"}


def _entries(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _ur_names(entry: dict) -> set[str]:
    return {normalize_for_match(n) for table in ("aliases", "short") for n in (entry.get(table) or {}).get("ur", [])}


def test_files_validate_and_stay_in_south_asia(d):
    n_people = n_orgs = 0
    for path in FILES:
        actors = read_actor_file(path, d.roles)
        assert actors, path
        for a in actors:
            assert a.entity_id in d.actors
            assert a.country in SOUTH_ASIA, a.entity_id
            assert a.aliases["ur"] and a.aliases["en"]
            n_people += a.type == "PERSON"
            n_orgs += a.type == "ORGANIZATION"
    assert n_people >= 150 and n_orgs >= 60


def test_no_person_or_organisation_is_listed_twice(d):
    """A name of these files must not be the canonical name of an entity in another actor file."""
    mine = {e["entity_id"] for p in FILES for e in _entries(p)}
    others = {a.name.casefold() for a in d.actors.values() if a.entity_id not in mine and a.type != "COUNTRY"}
    for path in FILES:
        for e in _entries(path):
            assert e["name"].casefold() not in others, e["name"]


def test_urdu_full_names_are_not_shared_between_entities():
    seen: dict[str, str] = {}
    for path in FILES:
        for e in _entries(path):
            for n in {normalize_for_match(x) for x in e["aliases"]["ur"]}:
                assert seen.setdefault(n, e["entity_id"]) == e["entity_id"], (n, seen[n], e["entity_id"])


@pytest.mark.parametrize("eid,when,code", [
    ("khabar:nawaz_sharif", date(2014, 8, 20), "PAKGOV"),
    ("khabar:nawaz_sharif", date(2019, 1, 1), "PAK"),
    ("khabar:imran_khan", date(2014, 8, 20), "PAKOPP"),
    ("khabar:imran_khan", date(2020, 6, 1), "PAKGOV"),
    ("khabar:imran_khan", date(2024, 6, 1), "PAKOPP"),
    ("khabar:sartaj_aziz", date(2014, 11, 20), "PAKGOV"),
    ("khabar:tariq_fatemi", date(2014, 10, 1), "PAKGOV"),
    ("khabar:raheel_sharif", date(2015, 1, 1), "PAKMIL"),
    ("khabar:asim_munir", date(2024, 1, 1), "PAKMIL"),
    ("khabar:nasirul_mulk", date(2015, 1, 1), "PAKJUD"),
    ("khabar:khursheed_shah", date(2015, 1, 1), "PAKOPP"),
    ("khabar:muhammad_tahir_ul_qadri", date(2014, 8, 1), "PAKOPP"),
    ("khabar:hibatullah_akhundzada", date(2018, 1, 1), "AFGREB"),
    ("khabar:hibatullah_akhundzada", date(2023, 1, 1), "AFGGOV"),
    ("khabar:amir_khan_muttaqi", date(2024, 1, 1), "AFGGOV"),
    ("khabar:ashraf_ghani", date(2014, 10, 6), "AFGGOV"),
    ("khabar:sheikh_hasina", date(2020, 1, 1), "BGDGOV"),
    ("khabar:sheikh_hasina", date(2025, 1, 1), "BGDOPP"),
    ("khabar:muhammad_yunus", date(2025, 1, 1), "BGDGOV"),
    ("khabar:amit_shah", date(2024, 1, 1), "INDGOV"),
    ("khabar:bipin_rawat", date(2018, 1, 1), "INDMIL"),
    ("khabar:anura_kumara_dissanayake", date(2024, 10, 1), "LKAGOV"),
])
def test_role_at_date_codes(lookup, eid, when, code):
    assert lookup.code_at(eid, when) == code


@pytest.mark.parametrize("eid,code", [
    ("khabar:taliban", "AFGREB"), ("khabar:ttp", "PAKREB"), ("khabar:bla", "PAKREB"),
    ("khabar:lashkar_e_taiba", "SASREB"), ("khabar:jaish_e_mohammed", "SASREB"),
    ("khabar:app", "PAKMED"), ("khabar:press_trust_of_india", "INDMED"), ("khabar:kashmir_media_service", "PAKMED"),
    ("khabar:pti", "PAKOPP"), ("khabar:pml_n", "PAKGOV"), ("khabar:pakistan_army", "PAKMIL"),
    ("khabar:crpf", "INDCOP"), ("khabar:indian_army", "INDMIL"), ("khabar:isi", "PAKSPY"),
    ("khabar:anti_terrorism_court_pakistan", "PAKJUD"), ("khabar:islamabad_police", "PAKCOP"),
])
def test_organisation_codes(lookup, eid, code):
    assert lookup.code_at(eid, date(2014, 9, 1)) == code


@pytest.mark.parametrize("word", [
    "پی ٹی آئی",   # PTI the party, not the Press Trust of India
    "کانگریس",      # the US Congress in world news: India's party only as a short form (below)
    "سینیٹ", "سپریم کورٹ", "الیکشن کمیشن",  # other countries' institutions
    "حریت",         # also "freedom" (حریت پسند)
    "آن لائن",      # also "online"
    "نواز",         # also "pro-" (اسرائیل نواز)
    "عزیز", "را", "بی این پی",
])
def test_ambiguous_words_are_not_names_of_the_wrong_entity(word):
    key = normalize_for_match(word)
    owners = {e["entity_id"] for p in FILES for e in _entries(p) if key in _ur_names(e)}
    # bare کانگریس / سینیٹ are short forms of both countries' institutions, linked by the country the article
    # names (tests/test_link.py::test_an_institutions_bare_name_goes_to_the_country_the_article_names): never full aliases here
    allowed = {"پی ٹی آئی": {"khabar:pti"}, "کانگریس": {"khabar:inc"},
               "سینیٹ": {"khabar:senate_of_pakistan"}}.get(word, set())
    assert owners <= allowed, (word, owners)
    full = {e["entity_id"] for p in FILES for e in _entries(p)
            if key in {normalize_for_match(a) for a in (e.get("aliases") or {}).get("ur") or []}}
    assert word == "پی ٹی آئی" or not full, (word, full)


# ------------------------------------------------------------------------------------------- linking

def _link(d, text: str, when: datetime):
    """Link a text split at spaces (one sentence per ۔), no NER: what the dictionary alone finds."""
    toks, sent, ti = [], 0, 0
    for m in re.finditer(r"\S+", text):
        toks.append({"sentence_index": sent, "token_index": ti, "start_char": m.start(), "end_char": m.end(),
                     "upos": None})
        ti += 1
        if m.group().endswith("۔"):
            sent, ti = sent + 1, 0
    sents = [{"sentence_index": i} for i in range(sent + 1)]
    art = {"article_id": "sa1", "text": text, "published_at": when}
    return link_article(art, sents, toks, [], d)


def _linked(out) -> set[str]:
    return {m["entity_id"] for m in out.mentions if m.get("entity_id")}


def test_pakistani_politics_2014(d):
    text = ("اسلام آباد ۔ 15 ستمبر (اے پی پی) وزیراعظم محمد نواز شریف اور پاکستان تحریک انصاف کے چیئرمین عمران خان "
            "کے درمیان رابطہ ہوا۔ عوامی تحریک کے سربراہ ڈاکٹر طاہر القادری نے کہا کہ مسلم لیگ ن کی حکومت ناکام ہے۔ "
            "مشیر خارجہ سرتاج عزیز اور وزیر داخلہ چوہدری نثار علی خان نے آرمی چیف جنرل راحیل شریف سے ملاقات کی۔")
    got = _linked(_link(d, text, datetime(2014, 9, 15)))
    for eid in ("khabar:app", "khabar:nawaz_sharif", "khabar:pti", "khabar:imran_khan", "khabar:pat",
                "khabar:muhammad_tahir_ul_qadri", "khabar:pml_n", "khabar:sartaj_aziz",
                "khabar:chaudhry_nisar_ali_khan", "khabar:raheel_sharif"):
        assert eid in got, eid


def test_kashmir_and_afghanistan(d):
    text = ("سرینگر ۔ کشمیر میڈیا سروس کے مطابق بھارتی فوج اور سینٹرل ریزرو پولس فورس کی کارروائی کے خلاف "
            "کل جماعتی حریت کانفرنس نے ہڑتال کی۔ کابل میں طالبان کے ترجمان ذبیح اللہ مجاہد نے کہا کہ "
            "امیر خان متقی اسلام آباد جائیں گے۔")
    got = _linked(_link(d, text, datetime(2024, 3, 1)))
    for eid in ("khabar:kashmir_media_service", "khabar:indian_army", "khabar:crpf", "khabar:hurriyat",
                "khabar:taliban", "khabar:zabihullah_mujahid", "khabar:amir_khan_muttaqi"):
        assert eid in got, eid


def test_pro_and_online_are_not_names(d):
    text = "جمہوریت نواز مظاہرین نے آن لائن مہم چلائی۔ اسرائیل نواز گروپ نے امریکی سینیٹ میں بیان دیا۔"
    mine = {e["entity_id"] for p in FILES for e in _entries(p)}
    assert not (_linked(_link(d, text, datetime(2024, 5, 1))) & mine)
