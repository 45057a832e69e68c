"""Linking: name-part fuzzy matching, context, coreference, provisional entities, and the three seeds."""
from __future__ import annotations

import os
import time
from datetime import datetime

import pytest

import schemas
from tasks.link import link_article, load_dictionary, part_similarity, provisional_id

PUTIN, KJU, KJI, KJD = "Q7747", "Q56226", "Q10990", "khabar:kim_jong_dae"
ZELENSKY = "Q3874799"


def link(nlp, d, text, when=None, aid="a1"):
    art, sents, toks, ner = nlp(aid, text, when)
    out = link_article(art, sents, toks, ner, d)
    schemas.to_arrow("mentions", out.mentions)
    schemas.to_arrow("entities", out.entities)
    spans = sorted((m["start_char"], m["end_char"]) for m in out.mentions)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), "overlapping mentions (double counting)"
    return out


def at(out, text, needle, nth=0):
    """The mention covering the nth occurrence of needle (located by string search, not by offsets we know)."""
    pos = -1
    for _ in range(nth + 1):
        pos = text.index(needle, pos + 1)
    hits = [m for m in out.mentions if m["start_char"] <= pos and pos + len(needle) <= m["end_char"]]
    return hits[0] if hits else None


def ids_of(out, text, needle):
    return {(at(out, text, needle, i) or {}).get("entity_id") for i in range(text.count(needle))}


@pytest.mark.parametrize("a,b", [("پوتن", "پوٹن"), ("امریکہ", "امریکا"), ("یوکرین", "یوکرائن"), ("جونگ", "یونگ"),
                                 ("اُن", "ان")])
def test_transliteration_variants_are_close(d, a, b):
    assert part_similarity(a, b, d) >= 0.9


@pytest.mark.parametrize("a,b", [("ایل", "ان"), ("ڈے", "ان"), ("فوجی", "فجی"), ("زیلنسکی", "پوتن")])
def test_different_parts_are_far(d, a, b):
    assert part_similarity(a, b, d) < 0.8


def test_short_form_resolves_to_earlier_full_name_and_kam_is_not_kim(nlp, d):
    text = "شمالی کوریا کے رہنما کم جونگ ان نے ماسکو کا دورہ کیا۔ بعد میں کم جونگ نے کہا کہ روس دوست ہے۔ کم از کم دس معاہدے ہوئے۔ بہت کم لوگ جانتے ہیں۔"
    out = link(nlp, d, text, datetime(2023, 9, 14))
    assert at(out, text, "کم جونگ ان")["entity_id"] == KJU
    short = at(out, text, "کم جونگ", 1)
    assert short["entity_id"] == KJU and short["link_method"] == "coreference"
    for needle in ("کم از کم", "بہت کم"):
        pos = text.index(needle)
        assert not [m for m in out.mentions if m["entity_id"] and m["start_char"] <= pos + len(needle)
                    and m["end_char"] > pos], needle
    assert at(out, text, "ماسکو")["entity_id"] == "Q649"


def test_other_people_sharing_tokens_are_not_merged(nlp, d):
    text = "سابق رکن پارلیمنٹ کم جونگ چول نے کہا کہ کم جونگ ان ایک خطرہ ہیں۔ کم جونگ ڈے نے بھی بات کی۔ کم جونگ ایل کا انتقال ہو چکا ہے۔"
    out = link(nlp, d, text, datetime(2024, 1, 1))
    assert at(out, text, "کم جونگ ان")["entity_id"] == KJU
    assert at(out, text, "کم جونگ ڈے")["entity_id"] == KJD
    assert at(out, text, "کم جونگ ایل")["entity_id"] == KJI
    chol = at(out, text, "کم جونگ چول")
    assert chol is None or chol["entity_id"] not in (KJU, KJI, KJD)
    if chol is not None:
        assert chol["entity_id"] == provisional_id("کم جونگ چول") and chol["link_method"] == "provisional"


@pytest.mark.parametrize("when,expected", [(datetime(2023, 9, 14), KJU), (datetime(2005, 6, 1), KJI)])
def test_short_form_alone_uses_article_date(nlp, d, when, expected):
    text = "شمالی کوریا کے رہنما کم جونگ نے میزائل تجربے کا معائنہ کیا۔"
    out = link(nlp, d, text, when)
    assert at(out, text, "کم جونگ")["entity_id"] == expected


def test_variants_context_and_zelensky_is_not_putin(nlp, d):
    text = "روسی صدر پوٹن اور یوکرائنی صدر ولادیمیر زیلنسکی نے امریکا اور یوکرائن کے بارے میں بات کی۔"
    out = link(nlp, d, text, datetime(2024, 3, 1))
    putin = at(out, text, "پوٹن")
    assert putin["entity_id"] == PUTIN and putin["link_method"] in ("fuzzy", "dictionary")
    assert at(out, text, "ولادیمیر زیلنسکی")["entity_id"] == ZELENSKY
    assert at(out, text, "امریکا")["entity_id"] == "Q30"
    assert at(out, text, "یوکرائن")["entity_id"] == "Q212"
    assert at(out, text, "روسی")["entity_id"] == "Q159" and at(out, text, "روسی")["ner_label"] == "NORP"
    for m in out.mentions:
        assert m["mention_id"].startswith("m") and m["link_method"] in {"dictionary", "fuzzy", "coreference",
                                                                         "provisional", "none"}


def test_unknown_name_after_role_word_is_provisional_and_shared_across_articles(nlp, d):
    text = "روسی وزیر دفاع ایگور سرگیف نے ماسکو میں کہا۔"
    a = link(nlp, d, text, aid="x1")
    b = link(nlp, d, "کل " + text, aid="x2")
    ma, mb = at(a, text, "ایگور سرگیف"), at(b, "کل " + text, "ایگور سرگیف")
    assert ma["link_method"] == "provisional" and ma["entity_id"] == mb["entity_id"]
    assert ma["mention_id"] != mb["mention_id"]
    row = next(e for e in a.entities if e["entity_id"] == ma["entity_id"])
    assert row["is_provisional"] and row["entity_id"].startswith("prov:")


def test_adding_an_actor_is_a_data_change(nlp, tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text("- entity_id: khabar:igor_sergeyev\n  name: Igor Sergeyev\n  type: PERSON\n  country: RUS\n"
                     "  roles: [{role: defence_minister, country: RUS, from: 1997-05-22, to: 2001-03-28}]\n"
                     "  aliases: {en: [Igor Sergeyev], ur: [ایگور سرگیف]}\n", encoding="utf-8")
    text = "روسی وزیر دفاع ایگور سرگیف نے ماسکو میں کہا۔"
    out = link(nlp, load_dictionary([extra]), text, datetime(1999, 1, 1))
    assert at(out, text, "ایگور سرگیف")["entity_id"] == "khabar:igor_sergeyev"


SEED_EXPECTATIONS = {
    "000": {"کم جونگ اُن": KJU, "ولادی میر پوتن": PUTIN, "کم جونگ ڈے": KJD, "یوکو کامیکاوا": "khabar:yoko_kamikawa",
            "سپوتنک": "khabar:sputnik", "اے ایف پی": "Q40464", "کورین سینٹرل نیوز ایجنسی": "khabar:kcna",
            "کے سی این اے": "khabar:kcna", "اقوام متحدہ": "Q1065", "سلامتی کونسل": "Q37470", "سیئول": "Q8684",
            "ماسکو": "Q649", "پیانگ یانگ": "Q18808", "جاپان": "Q17", "چین": "Q148", "جنوبی کوریا": "Q884"},
    "001": {"ولادیمیر پوٹن": PUTIN, "ولادیمیر زیلنسکی": ZELENSKY, "رائٹرز": "Q130879", "سیول": "Q8684",
            "واشنگٹن": "Q61", "کیف": "Q1899", "امریکہ": "Q30", "امریکی": "Q30", "جنوبی کوریا": "Q884",
            "کم جونگ ان": KJU, "کے سی این اے": "khabar:kcna"},
    "002": {"آندرے بیلوسوف": "khabar:andrey_belousov", "کم یونگ اُن": KJU, "نیٹو": "Q7184", "امریکا": "Q30",
            "اقوام متحدہ": "Q1065", "ماسکو": "Q649", "پیانگ یانگ": "Q18808"},
}


@pytest.mark.slow
@pytest.mark.parametrize("prefix", sorted(SEED_EXPECTATIONS))
def test_seeds_link_to_the_right_entities(nlp, d, seeds_dir, prefix):
    path = next(seeds_dir.glob(f"{prefix}_*.txt"))
    text = path.read_text(encoding="utf-8")
    out = link(nlp, d, text, None, aid=path.stem)
    for needle, expected in SEED_EXPECTATIONS[prefix].items():
        assert needle in text
        assert ids_of(out, text, needle) == {expected}, needle
    by_id: dict[str, set[str]] = {}
    for m in out.mentions:
        by_id.setdefault(m["entity_id"], set()).add(m["text"])
    assert not any("ڈے" in t for t in by_id.get(KJU, ())), "Kim Jong-dae merged into Kim Jong Un"
    assert not any("زیلنسکی" in t for t in by_id.get(PUTIN, ())), "Zelensky merged into Putin"
    for m in out.mentions:
        if m["entity_id"] == KJU:
            assert m["text"].replace("ِ", "").startswith("کم"), m


# ------------------------------------------------------------------ linking order, fuzzy gates, joined words, codes

def test_exact_alias_beats_a_one_letter_away_fuzzy_country(nlp, d):
    text = "کینیڈا کے وزیر خارجہ نے کینیا کا دورہ کیا۔"
    out = link(nlp, d, text, datetime(2024, 5, 1))
    assert at(out, text, "کینیڈا")["entity_id"] == d.country_by_iso3["CAN"]
    assert at(out, text, "کینیا")["entity_id"] == d.country_by_iso3["KEN"]


@pytest.mark.parametrize("sentence,word", [
    ("دنیا بھر میں معاشی بحران ہے اور لوگ پریشان ہیں۔", "بحران"),              # crisis ~ Bahrain
    ("صحافی نے وزیر سے ایک سوال پوچھا۔", "سوال"),                              # question ~ Seoul
    ("عدالت نے ملزم پر بھاری جرمانے عائد کیے۔", "جرمانے"),                      # fines ~ Germany
    ("یہ دونوں ملکوں کے بہترین مفاد میں ہے۔", "بہترین"),                       # best ~ Bahrain
    ("پرواز کل صبح لاہور روانہ ہوئی۔", "روانہ"),                                # departed ~ Rwanda
])
def test_everyday_words_are_never_fuzzy_linked_to_places(nlp, d, sentence, word):
    out = link(nlp, d, sentence, datetime(2024, 5, 1))
    m = at(out, sentence, word)
    assert m is None or m["entity_id"] is None or m["entity_id"].startswith("prov:"), (word, m)


def test_fuzzy_spelling_of_a_marked_name_still_links(nlp, d):
    text = "امریکی صدر براک اوباما نے کانگریس سے خطاب کیا۔ بارک اوبامہ نے کہا کہ جنگ ختم ہو گی۔"
    out = link(nlp, d, text, datetime(2014, 8, 8))
    obama = d.actors["Q76"]
    assert at(out, text, "براک اوباما")["entity_id"] == obama.entity_id
    assert at(out, text, "بارک اوبامہ")["entity_id"] == obama.entity_id


def test_joined_names_and_postpositions_are_read_apart_with_original_offsets(nlp, d):
    text = "وزیراعظم نے ولادیمیرپوتن کیساتھ ملاقات کی۔"
    out = link(nlp, d, text, datetime(2023, 9, 14))
    m = at(out, text, "ولادیمیرپوتن")
    assert m["entity_id"] == PUTIN and m["text"] == "ولادیمیرپوتن"
    assert all(text[x["start_char"]:x["end_char"]] == x["text"] for x in out.mentions)


def test_split_token_uses_the_data_and_keeps_letter_offsets():
    from tasks.joined import load_fused, split_token
    fused = load_fused()
    assert split_token("کیخلاف", fused) == [(0, 2, "کے"), (2, 6, "خلاف")]
    assert split_token("پاکستان", fused) == [(0, 7, "پاکستان")]


def test_joined_words_data_examples_read_as_stated():
    import yaml
    from tasks.joined import LANG_DIR, load_fused, split_token
    from tasks.normalize import normalize_for_match
    fused = load_fused()
    data = yaml.safe_load((LANG_DIR / "ur" / "joined_words.yaml").read_text(encoding="utf-8"))
    for ex in data["examples"]:
        words = [w for tok in normalize_for_match(ex["text"]).split() for _, _, w in split_token(tok, fused)]
        assert words == normalize_for_match(ex["reads"]).split(), ex


def test_sitting_official_codes_as_government_at_the_article_date(nlp, d):
    text = "امریکی صدر براک اوباما نے عراق پر فضائی حملوں کی اجازت دی۔"
    then = link(nlp, d, text, datetime(2014, 8, 8))
    assert at(then, text, "براک اوباما")["actor_code"] == "USAGOV"
    later = link(nlp, d, text, datetime(2020, 1, 1))
    assert at(later, text, "براک اوباما")["actor_code"] == "USA"


def test_former_and_elect_qualifiers_make_an_elite_not_the_government(nlp, d):
    text = "سابق صدر ولادیمیر پوتن نے بیان دیا۔"
    out = link(nlp, d, text, datetime(2024, 1, 1))
    assert at(out, text, "ولادیمیر پوتن")["actor_code"] == "RUSELI"


def test_unknown_official_gets_country_and_role_code_from_context(nlp, d):
    text = "اسرائیلی وزیر دفاع یوآو گیلانٹ نے بیان جاری کیا۔"
    out = link(nlp, d, text, datetime(2024, 6, 1))
    m = at(out, text, "گیلانٹ")
    if m["link_method"] == "provisional":
        assert m["actor_code"] == "ISRMIL"
    else:  # the dictionary knows him: then the code comes from his dated role
        assert m["actor_code"] == "ISRMIL"


def test_provisional_key_ignores_honorifics_spaces_and_confusables(d):
    assert provisional_id("ڈاکٹر علامہ زید بکر", d) == provisional_id("زید بکر", d)
    assert provisional_id("زیدبکر", d) == provisional_id("زید بکر", d)
    assert provisional_id("زید بکر", d) != provisional_id("زید عمر", d)


def test_dateline_credit_links_to_the_agency_as_the_articles_source(tmp_path):
    from tasks.link import dateline_source
    (tmp_path / "agency.yaml").write_text(
        "- {entity_id: 'khabar:test_agency', name: Test News Agency, type: ORGANIZATION, country: PAK,\n"
        "   actor_code: PAKMED, aliases: {en: [TNA], ur: [ٹی این اے]}}\n", encoding="utf-8")
    d = load_dictionary([tmp_path / "agency.yaml"])
    assert dateline_source({"dateline": "کابل ۔ 10 اگست (ٹی این اے)"}, d) == "khabar:test_agency"
    assert dateline_source({"dateline": "ماسکو: (ویب ڈیسک )"}, d) is None
    assert dateline_source({"dateline": None}, d) is None


def test_a_name_written_joined_to_a_role_word_or_postposition_is_read_apart(nlp, d):
    text = "روسی صدرولادیمیر پوتن نے ماسکوکو دارالحکومت قرار دیا اور کرنے کا کام کیا۔"
    out = link(nlp, d, text, datetime(2023, 9, 14))
    assert at(out, text, "ولادیمیر پوتن")["entity_id"] == PUTIN
    assert at(out, text, "ماسکو")["entity_id"] == "Q649"
    idx_split = __import__("tasks.link", fromlist=["_index"])._index(d).split_name
    assert idx_split("کرنے") == [(0, 4, "کرنے")]  # a verb is never cut: کر is no name


def test_a_postposition_written_joined_to_the_next_name_is_read_apart(nlp, d):
    """نےنیتن یاہو: the space after نے (a non-joining letter) dropped; the name is read without the postposition.
    کو, پر, کے are not cut off: they start everyday words and names (کوریا, پرانا)."""
    text = "تل ابیب میں ہزاروں اسرائیلی شہریوں نےنیتن یاہو سے استعفیٰ دینے کا مطالبہ کردیا۔"
    out = link(nlp, d, text, datetime(2024, 11, 20))
    m = at(out, text, "نیتن یاہو")
    assert m["entity_id"] == "Q43723" and m["text"] == "نیتن یاہو"
    split = __import__("tasks.link", fromlist=["_index"])._index(d).split_name
    assert split("کوریا") == [(0, 5, "کوریا")] and split("پرانا") == [(0, 5, "پرانا")]


def test_a_family_name_before_an_everyday_word_still_links_but_not_before_a_family_word(nlp, d):
    """مودی سرکار ('the Modi government'): the tagger marks سرکار as a proper noun, but an everyday word ends the
    name, so the bare family name is Modi; شریف خاندان is the Sharif family, no one person."""
    text = "منی پور فسادات پر مودی سرکار خاموش ہے۔ شریف خاندان نے اجلاس بلایا۔"
    out = link(nlp, d, text, datetime(2024, 9, 20))
    assert at(out, text, "مودی")["entity_id"] == "Q1058"
    m = at(out, text, "شریف")
    assert m is None or m["entity_id"] is None or m["entity_id"].startswith("prov:"), m
    named = "بھارتی ریاست بہار میں کملا نامی خاتون کو گرفتار کر لیا گیا۔"  # 'a woman named Kamla': not Harris
    m = at(link(nlp, d, named, datetime(2024, 9, 20)), named, "کملا")
    assert m is None or m["entity_id"] is None or m["entity_id"].startswith("prov:"), m


def test_an_institutions_bare_name_goes_to_the_country_the_article_names(nlp, d):
    """سینیٹ / کانگریس: the US Senate or Pakistan's, the US Congress or India's Congress party, by the country the
    article names elsewhere; with neither named (or both) the bare name links to neither."""
    us = "امریکا میں صدارتی انتخابات کے بعد سینیٹ میں ری پبلکن پارٹی نے اکثریت حاصل کر لی۔"
    assert at(link(nlp, d, us, datetime(2024, 11, 7)), us, "سینیٹ")["entity_id"] == "khabar:us_senate"
    pk = "پاکستان کی قومی اسمبلی کے بعد سینیٹ نے بھی بل منظور کر لیا۔"
    assert at(link(nlp, d, pk, datetime(2024, 11, 7)), pk, "سینیٹ")["entity_id"] == "khabar:senate_of_pakistan"
    ind = "بھارتی ریاست منی پور میں اپوزیشن جماعت کانگریس نے احتجاج کیا۔"
    assert at(link(nlp, d, ind, datetime(2024, 11, 7)), ind, "کانگریس")["entity_id"] == "khabar:inc"
    bare = "سینیٹ نے بل منظور کر لیا۔"
    m = at(link(nlp, d, bare, datetime(2024, 11, 7)), bare, "سینیٹ")
    assert m is None or m["entity_id"] is None or m["entity_id"].startswith("prov:"), m


def test_us_party_adjectives_link_but_not_inside_other_names(nlp, d):
    """ریپبلکن / ڈیموکریٹک before امیدوار are the US parties (short forms); "ڈیموکریٹک ریپبلک آف کانگو" is a country,
    and after another country's demonym ("عراقی ری پبلکن گارڈز") the bare name is not the US party."""
    text = "ریپبلکن امیدوار ڈونلڈ ٹرمپ نے 292 اور ڈیموکریٹ امیدوار کملا ہیرس نے 226 الیکٹورل ووٹ حاصل کیے۔"
    out = link(nlp, d, text, datetime(2024, 11, 7))
    assert at(out, text, "ریپبلکن")["entity_id"] == "Q29468" and at(out, text, "ڈیموکریٹ")["entity_id"] == "Q29552"
    assert at(out, text, "ڈونلڈ ٹرمپ")["entity_id"] == "Q22686"
    drc = "یہ امن دستے ڈیموکریٹک ریپبلک آف کانگو اور جنوبی سوڈان میں تعینات ہیں۔"
    assert at(link(nlp, d, drc, datetime(2024, 11, 7)), drc, "ڈیموکریٹک")["entity_id"] == d.country_by_iso3["COD"]
    guard = "عراقی ری پبلکن گارڈز کے دستے پیچھے ہٹ گئے۔"  # Iraq's Republican Guard: another country's name before it
    m = at(link(nlp, d, guard, datetime(2024, 11, 7)), guard, "پبلکن")
    assert m is None or m["entity_id"] != "Q29468", m


def test_a_partial_unknown_name_is_the_same_provisional_person(nlp, d):
    text = "وزیر داخلہ زبیر قاسمانی نے بیان دیا۔ بعد میں وزیر داخلہ قاسمانی نے کہا کہ تحقیقات ہوں گی۔"
    out = link(nlp, d, text, datetime(2024, 6, 1))
    full, short = at(out, text, "زبیر قاسمانی"), at(out, text, "قاسمانی", 1)
    assert full["link_method"] == "provisional"
    assert short["entity_id"] == full["entity_id"] and short["link_method"] == "coreference"


# ------------------------------------------------------------------ unknown people marked by their context

def _prov(out, text, needle):
    m = at(out, text, needle)
    assert m is not None and m["link_method"] == "provisional", (needle, m)
    row = next(e for e in out.entities if e["entity_id"] == m["entity_id"])
    return m, row


def test_name_after_an_office_title_takes_the_titles_country(nlp, d):
    text = "جاپان میں پاکستان کے سفیر طارق محمود نے ٹوکیو میں تقریب سے خطاب کیا۔"
    out = link(nlp, d, text, datetime(2024, 3, 1))
    m, row = _prov(out, text, "طارق محمود")
    assert m["text"] == "طارق محمود" and m["actor_code"] == "PAKGOV"
    assert "Tariq Mahmood" in row["aliases"]  # an English form beside the Urdu one


def test_title_with_a_department_in_brackets_and_on_behalf_of_a_country(nlp, d):
    text = "بات چیت میں بھارت کی طرف سے جوائنٹ سیکرٹری (مغربی ایشیا) عدنان شفیق نے وفد کی قیادت کی۔"
    out = link(nlp, d, text, datetime(2024, 3, 1))
    m, _ = _prov(out, text, "عدنان شفیق")
    assert m["text"] == "عدنان شفیق" and m["actor_code"] == "INDGOV"


def test_long_title_on_behalf_of_a_country_keeps_the_country_in_view(nlp, d):
    # the window for the country is counted from the title's first word: a four-word title does not hide it
    text = "مذاکرات میں ترکی کی طرف سے انڈر سیکرٹری آف سٹیٹ کمال دیمیر نے وفد کی قیادت کی۔"
    out = link(nlp, d, text, datetime(2024, 3, 1))
    m, _ = _prov(out, text, "کمال دیمیر")
    assert m["actor_code"] == "TURGOV"


def test_office_of_an_unknown_province_is_in_the_country_named_last(nlp, d):
    # issue 11 item 3: "ریاست کی گورنر X", "<unknown place> کے میئر X" act for the country the article named last;
    # a commander of the province's police is not coded from the province (his sector is the police's)
    text = ("میکسیکو میں سیلاب سے تباہی ہوئی۔ ریاست کی گورنر ماریا لوپیز نے امداد کی اپیل کی۔ "
            "سانتا روزا کے میئر کارلوس رویز نے بتایا کہ سڑکیں بند ہیں۔ صوبے کی پولیس کے کمانڈر حورخے دیاز نے بتایا کہ دو افراد لاپتہ ہیں۔")
    out = link(nlp, d, text, datetime(2024, 3, 1))
    assert _prov(out, text, "ماریا لوپیز")[0]["actor_code"] == "MEXGOV"
    mayor = at(out, text, "کارلوس رویز")
    assert mayor is not None and mayor["actor_code"] == "MEXGOV"
    assert (at(out, text, "حورخے دیاز") or {}).get("actor_code") != "MEXMIL"


def test_names_before_nami_and_a_word_for_a_person(nlp, d):
    text = "پولیس کے مطابق شاہد اقبال اور وسیم عباس نامی دو نوجوانوں کو گرفتار کیا گیا۔ کوٹلی کے قریب ڈھیری نامی گاؤں میں سیلاب آیا۔"
    out = link(nlp, d, text, datetime(2024, 3, 1))
    a, _ = _prov(out, text, "شاہد اقبال")
    b, _ = _prov(out, text, "وسیم عباس")
    assert a["entity_id"] != b["entity_id"] and a["text"] == "شاہد اقبال" and b["text"] == "وسیم عباس"
    village = at(out, text, "ڈھیری")
    assert village is None or village["ner_label"] != "PERSON"  # a village named ڈھیری is nobody


def test_name_after_an_honorific_is_a_person(nlp, d):
    text = "سماعت کے دوران ایڈووکیٹ کاشف بشیر نے عدالت میں دلائل دیے۔"
    out = link(nlp, d, text, datetime(2024, 3, 1))
    m, row = _prov(out, text, "کاشف بشیر")
    assert m["text"] == "کاشف بشیر" and "Kashif Bashir" in row["aliases"]


def test_place_names_that_are_everyday_words_are_not_linked_in_their_everyday_reading(nlp, d):
    text = ("دھماکے جمعہ کی شام 6 بجے ہوئے جبکہ شام میں جنگ جاری ہے۔ حکومت نے مالی امداد کا اعلان کیا۔ "
            "فرانس نے مالی میں اپنے فوجی بھیجے۔")
    out = link(nlp, d, text, datetime(2024, 3, 1))
    syria = [m for m in out.mentions if m["entity_id"] == "Q858"]
    assert [m["start_char"] for m in syria] == [text.index("شام میں")]
    mali = [m for m in out.mentions if (m["entity_id"] or "").endswith(":MLI") or m["entity_id"] == "Q912"]
    assert [m["start_char"] for m in mali] == [text.index("مالی میں")]


def test_latin_script_names_link_and_urdu_only_articles_use_the_smaller_index(nlp, d):
    from tasks.link import _index
    assert len(_index(d, "پاکستان").patterns) < len(_index(d, "G20").patterns)  # no Latin names: no Latin patterns
    text = "برازیل میں G20 کا اجلاس ہوا جس میں پاکستان نے شرکت کی۔"
    out = link(nlp, d, text, datetime(2024, 11, 18))
    g20 = at(out, text, "G20")
    assert g20 is not None and g20["entity_id"] is not None and "G20" in g20["text"]
    assert at(out, text, "پاکستان")["entity_id"] == "Q843"


def test_dates_numbers_and_rule_phrases_after_a_title_are_no_names(nlp, d):
    text = ("نیا صدر بیس جنوری کو حلف اٹھائے گا۔ ریاست میں صدر راج ختم ہو گیا۔ "
            "زلزلہ ایران کے صوبے سیستان بلوچستان میں آیا۔")
    out = link(nlp, d, text, datetime(2024, 11, 20))
    people = [m["text"] for m in out.mentions if m["link_method"] == "provisional" and m["ner_label"] == "PERSON"]
    assert not any("جنوری" in p or "بیس" in p or p == "راج" for p in people), people
    assert at(out, text, "سیستان بلوچستان")["entity_id"] == "khabar:sistan_baluchestan"  # Iran's, not Pakistan's


def test_a_place_name_two_places_share_goes_to_the_one_whose_country_the_article_names(nlp, d):
    us = "امریکا میں صدارتی انتخابات کے دوران جارجیا اور ایریزونا میں ووٹنگ جاری رہی۔"
    out = link(nlp, d, us, datetime(2024, 11, 5))
    assert at(out, us, "جارجیا")["entity_id"] == "khabar:us_georgia"
    caucasus = "جارجیا میں پارلیمانی انتخابات کے بعد اپوزیشن نے احتجاج کیا۔"
    out = link(nlp, d, caucasus, datetime(2024, 10, 28))
    assert d.actors[at(out, caucasus, "جارجیا")["entity_id"]].type == "COUNTRY"  # nothing else said: the country


def test_a_dead_leader_named_as_the_former_holder_of_the_office(nlp, d):
    text = "مورخین کے مطابق سابق امریکی صدر روز ویلٹ نے جنگ کے دوران اہم فیصلے کیے۔ سابق برطانوی وزیر اعظم چرچل بھی شریک تھے۔"
    out = link(nlp, d, text, datetime(2024, 5, 1))
    fdr = at(out, text, "روز ویلٹ")  # the short form written apart, as the full alias فرینکلن ڈی روز ویلٹ writes it
    assert fdr["entity_id"] == "Q8007" and fdr["actor_code"] == "USAELI"  # سابق before the country counts too
    churchill = at(out, text, "چرچل")
    assert churchill["actor_code"] == "GBRELI"


def test_english_organisation_names_in_urdu_letters(nlp, d):
    text = ("نیشنل بینک آف پاکستان نے شرح منافع بڑھا دی۔ ٹورنٹو میں کینیڈین فیڈریشن آف سٹوڈنٹس نے اجلاس کیا۔ "
            "امریکی سیکریٹری آف اسٹیٹ نے بیان دیا۔")
    out = link(nlp, d, text, datetime(2024, 5, 1))
    nbp = at(out, text, "نیشنل بینک آف پاکستان")
    row = next(e for e in out.entities if e["entity_id"] == nbp["entity_id"])
    assert nbp["text"] == "نیشنل بینک آف پاکستان" and "National Bank of Pakistan" in row["aliases"]
    cfs = at(out, text, "کینیڈین فیڈریشن آف سٹوڈنٹس")
    assert "Canadian Federation of Students" in next(e for e in out.entities if e["entity_id"] == cfs["entity_id"])["aliases"]
    title = at(out, text, "آف اسٹیٹ")  # a title, not an organisation
    assert title is None or title["ner_label"] != "ORGANIZATION"


def test_a_process_that_linked_exits_without_binding_noise():
    """The alias index is gc.freeze()d for speed; frozen objects must be thawed at exit, else DuckDB's bindings
    (nanobind) print 'leaked instances' to stderr at the end of every run."""
    import subprocess
    import sys

    code = ("import duckdb; duckdb.connect().execute('select 1');"
            "from tasks.link import load_dictionary, _index; _index(load_dictionary(), 'پاکستان')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "leaked" not in done.stderr


# ----------------------------------------------------------------------------------------- index cache

CACHE_TEXTS = ["روسی صدر ولادیمیر پوتن نے ماسکو میں کہا کہ امریکہ اور جنوبی کوریا کی مشقیں خطرناک ہیں۔",
               "وزیراعظم نوازشریف نے کراچی میں کہا۔ اقوام متحدہ کی سلامتی کونسل نے NATO پر بات کی۔"]


def _fresh_indexes(monkeypatch, cache_dir):
    import tasks.link as link_mod
    monkeypatch.setenv("KHABAR_CACHE_DIR", str(cache_dir))
    monkeypatch.setattr(link_mod, "_INDEXES", {})  # the process's built indexes: forget them, restored after
    return link_mod


def _mention_rows(out):
    return sorted((m["start_char"], m["end_char"], m["entity_id"], m["link_method"]) for m in out.mentions)


def test_cached_index_links_the_same_as_a_fresh_one(nlp, d, tmp_path, monkeypatch):
    link_mod = _fresh_indexes(monkeypatch, "off")
    fresh = [_mention_rows(link(nlp, d, t)) for t in CACHE_TEXTS]
    link_mod = _fresh_indexes(monkeypatch, tmp_path)
    cold = [_mention_rows(link(nlp, d, t)) for t in CACHE_TEXTS]  # builds and writes the cache
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        link_mod._cache_path(d, latin).name for latin in (False, True))
    link_mod = _fresh_indexes(monkeypatch, tmp_path)
    monkeypatch.setattr(link_mod._Index, "_build_patterns", lambda *a: pytest.fail("warm index was rebuilt"))
    warm = [_mention_rows(link(nlp, d, t)) for t in CACHE_TEXTS]  # read from the cache
    assert fresh == cold == warm
    assert any(eid == PUTIN for rows in warm for _, _, eid, _ in rows)


def test_changed_dictionary_file_invalidates_the_cached_index(tmp_path, monkeypatch):
    link_mod = _fresh_indexes(monkeypatch, tmp_path / "cache")
    extra = tmp_path / "extra.yaml"
    entry = ("- entity_id: khabar:igor_sergeyev\n  name: Igor Sergeyev\n  type: PERSON\n  country: RUS\n"
             "  aliases: {{en: [Igor Sergeyev], ur: [{ur}]}}\n")
    extra.write_text(entry.format(ur="ایگور سرگیف"), encoding="utf-8")
    d1 = load_dictionary([extra])
    old = link_mod._cache_path(d1, False)
    assert ("ایگور", "سرگیف") in link_mod._index(d1, "").person_names and old.exists()
    extra.write_text(entry.format(ur="ایگور سرجیف"), encoding="utf-8")  # same size: only the content differs
    os.utime(extra, ns=(extra.stat().st_atime_ns, extra.stat().st_mtime_ns + 10**9))  # a coarse-clock filesystem
    from tasks.actors import _cached
    _cached.cache_clear()  # load_dictionary's in-process cache: read the changed file again
    d2 = load_dictionary([extra])
    assert link_mod._cache_path(d2, False) != old
    names = link_mod._index(d2, "").person_names
    assert ("ایگور", "سرجیف") in names and ("ایگور", "سرگیف") not in names


def test_unreadable_cached_index_is_rebuilt(d, tmp_path, monkeypatch):
    link_mod = _fresh_indexes(monkeypatch, tmp_path)
    path = link_mod._cache_path(d, False)
    path.write_bytes(b"not a pickle")
    stale = tmp_path / "link-index-0000-urdu.pickle"  # another version's, not written for 40 days
    stale.write_bytes(b"old")
    os.utime(stale, (time.time() - 40 * 86400,) * 2)
    built = link_mod._index(d, "")
    assert built.patterns and path.stat().st_size > 1000  # rebuilt and rewritten
    assert not stale.exists()
    link_mod = _fresh_indexes(monkeypatch, tmp_path)
    assert link_mod._load_cached(d, False)["first_keys"] == built.first_keys


def test_a_different_given_name_before_a_known_family_name_is_someone_else(nlp, d):
    # written for this test: the wife and daughter of a dictionary person are not him; a party label is no given
    # name, and a comma between two names keeps them apart
    text = ("جو بائیڈن کی اہلیہ نے میلانیا ٹرمپ کو وائٹ ہاؤس آنے کی دعوت دی تھی۔ سابق صدر کی بیٹی ایوانکا ٹرمپ نے "
            "اپنے والد کی حمایت کی۔ ریپبلکن ٹرمپ نے بعد میں خطاب کیا۔ وزیر خارجہ مارکو روبیو، ٹرمپ کے ساتھ تھے۔")
    out = link(nlp, d, text, datetime(2025, 3, 1))
    trump = "Q22686"
    for nth, relative in ((0, "میلانیا ٹرمپ"), (1, "ایوانکا ٹرمپ")):
        m = at(out, text, "ٹرمپ", nth)  # the family name's own mention, if any
        assert m is None or m["entity_id"] != trump, relative
    for nth, after in ((2, "ریپبلکن"), (3, "روبیو،")):
        hit = at(out, text, "ٹرمپ", nth)
        assert hit is not None and hit["entity_id"] == trump, after
