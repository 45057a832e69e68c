"""Middle East actors and armed groups (khabar/lang/actors/people_middle_east.yaml, armed_groups.yaml):
PETRARCH-style codes, role-at-date coding, and linking of the usual Urdu spellings (sentences written for the
test, not copied from articles), including everyday words that must not become these actors."""
from __future__ import annotations

from datetime import date, datetime

import pytest


from tasks.link import link_article

NETANYAHU, HAMAS, ISIS, QAEDA = "Q43723", "Q38799", "Q2429253", "Q34490"


def _by_name(d, name):
    hits = [a for a in d.actors.values() if a.name == name]
    assert len(hits) == 1, name
    return hits[0].entity_id


@pytest.mark.parametrize("name,code", [
    ("Hamas", "PSEREBHMS"), ("Izz ad-Din al-Qassam Brigades", "PSEREBHMS"), ("Hezbollah", "LBNREB"),
    ("al-Qaeda", "IMGMUSALQ"), ("Islamic State", "IMGMUSISI"), ("Boko Haram", "NGAREB"),
    ("Al-Shabaab (militant group)", "SOMREB"), ("Houthis", "YEMREB"), ("Israel Defense Forces", "ISRMIL"),
    ("Mossad", "ISRSPY"), ("Shin Bet", "ISRSPY"), ("Knesset", "ISRLEG"), ("Israel Police", "ISRCOP"),
    ("Islamic Revolutionary Guard Corps", "IRNMIL"), ("Palestinian National Authority", "PSEGOV"),
    ("Kurdistan Regional Government", "IRQGOV"), ("Peshmerga", "IRQMIL"),
])
def test_group_and_institution_codes(d, lookup, name, code):
    assert lookup[_by_name(d, name)].actor_code == code


@pytest.mark.parametrize("name,day,code", [
    ("Benjamin Netanyahu", date(2019, 5, 1), "ISRGOV"),
    ("Benjamin Netanyahu", date(2022, 3, 1), "ISROPP"),   # opposition leader under Bennett and Lapid
    ("Benjamin Netanyahu", date(2024, 10, 1), "ISRGOV"),
    ("Yoav Gallant", date(2024, 6, 1), "ISRMIL"),
    ("Yoav Gallant", date(2025, 1, 1), "ISR"),             # dismissed 5 Nov 2024
    ("Israel Katz", date(2024, 3, 1), "ISRGOV"),           # foreign minister
    ("Israel Katz", date(2025, 1, 1), "ISRMIL"),           # then defence minister
    ("Hassan Nasrallah", date(2024, 1, 1), "LBNREB"),
    ("Ismail Haniyeh", date(2024, 5, 1), "PSEREBHMS"),
    ("Ahmed al-Sharaa", date(2024, 6, 1), "SYRREB"),       # HTS leader
    ("Ahmed al-Sharaa", date(2025, 3, 1), "SYRGOV"),       # president
    ("Bashar al-Assad", date(2024, 6, 1), "SYRGOV"),
    ("Bashar al-Assad", date(2025, 3, 1), "SYR"),
    ("Ebrahim Raisi", date(2023, 1, 1), "IRNGOV"),
    ("Abdel Fattah el-Sisi", date(2014, 1, 1), "EGYMIL"),  # defence minister before the presidency
    ("Abdel Fattah el-Sisi", date(2020, 1, 1), "EGYGOV"),
    ("Osama bin Laden", date(2010, 1, 1), "IMGMUSALQ"),
])
def test_roles_code_by_date(d, lookup, name, day, code):
    assert lookup.code_at(_by_name(d, name), day) == code


def _linked(nlp, d, text, when):
    art, sents, toks, ner = nlp("me1", text, when)
    out = link_article(art, sents, toks, ner, d)
    return {m["entity_id"] for m in out.mentions if m.get("entity_id")}


def test_links_usual_urdu_spellings(nlp, d):
    text = ("اسرائیلی وزیراعظم نیتن یاہو نے کہا کہ حماس کے سربراہ یحییٰ سنوار کی ہلاکت کے بعد جنگ جاری رہے گی۔ "
            "حزب اللہ کے سربراہ نعیم قاسم نے کہا کہ مزاحمت ختم نہیں ہوگی۔ "
            "ایران کے سپریم لیڈر آیت اللہ خامنہ ای اور وزیر خارجہ عباس عراقچی نے بیان جاری کیا۔ "
            "یمن کے حوثیوں نے بحیرہ احمر میں جہاز پر حملہ کیا جبکہ داعش اور القاعدہ نے بھی دھمکی دی۔")
    ids = _linked(nlp, d, text, datetime(2024, 11, 2))
    for eid in (NETANYAHU, HAMAS, ISIS, QAEDA):
        assert eid in ids, eid
    for name in ("Yahya Sinwar", "Hezbollah", "Naim Qassem", "Ali Khamenei", "Abbas Araghchi", "Houthis"):
        assert _by_name(d, name) in ids, name


def test_everyday_words_are_not_middle_east_actors(nlp, d):
    text = ("پاکستانی بلے باز اسد شفیق نے سنچری بنائی اور ٹیم نے فتح کا جشن منایا۔ "
            "انہوں نے رمضان المبارک کی مبارک باد دی۔ ایران کے روحانی پیشوا نے خطاب کیا۔ "
            "خیبر پی کے کے عوام نے احتجاج کیا۔")
    ids = _linked(nlp, d, text, datetime(2024, 3, 1))
    for name in ("Bashar al-Assad", "Fatah", "Hosni Mubarak", "Hassan Rouhani", "Kurdistan Workers' Party"):
        assert _by_name(d, name) not in ids, name


def test_two_king_abdullahs_and_institutions(nlp, d):
    text = ("سعودی فرمانروا شاہ عبداللہ بن عبدالعزیز نے مہمانوں سے ملاقات کی۔ "
            "اردن کے شاہ عبداللہ دوم نے بھی خطاب کیا۔ مقبوضہ بیت المقدس میں اسرائیلی پولیس نے مظاہرین پر لاٹھی چارج کیا۔")
    ids = _linked(nlp, d, text, datetime(2014, 9, 8))
    for name in ("Abdullah of Saudi Arabia", "Abdullah II of Jordan", "Israel Police"):
        assert _by_name(d, name) in ids, name
