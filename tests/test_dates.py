"""Date expressions: every form resolves against a reference date (sentences written for these tests)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import yaml

from tasks.dates import find_dates, load_date_words, reference, reference_date, resolve_date

REF = date(2024, 11, 14)  # a Thursday


def one(text: str, ref: date | None = REF, after: bool = False):
    found = find_dates(text)
    assert len(found) == 1, found
    return found[0], resolve_date(found[0], ref, after=after)


def test_day_month_year():
    expr, r = one("وزیر اعظم 5 مارچ 2021 کو واپس آئے۔")
    assert (r.date, r.precision) == (date(2021, 3, 5), "day")
    assert expr.text == "5 مارچ 2021"


def test_urdu_digits():
    _, r = one("اجلاس ۲۳ جنوری ۲۰۲۲ کو ہوا۔")
    assert r.date == date(2022, 1, 23)


def test_day_month_takes_reference_year_or_the_year_before():
    _, r = one("معاہدہ 3 نومبر کو ہوا۔")
    assert (r.date, r.precision) == (date(2024, 11, 3), "day")
    _, r = one("معاہدہ 20 دسمبر کو ہوا۔")  # after the reference: news reports the past, so last December
    assert r.date == date(2023, 12, 20)


def test_month_year_with_era_suffix():
    _, r = one("اگست 2019ء میں کشیدگی بڑھی۔")
    assert (r.date, r.precision) == (date(2019, 8, 1), "month")


def test_month_alone_and_this_year_month():
    _, r = one("وزرا اپریل میں ملے۔")
    assert (r.date, r.precision) == (date(2024, 4, 1), "month")
    expr, r = one("دونوں ملکوں نے رواں سال مئی میں مذاکرات کیے۔")
    assert (r.date, r.precision) == (date(2024, 5, 1), "month")


def test_year_only():
    _, r = one("یہ قانون 2015ء میں بنا۔")
    assert (r.date, r.precision) == (date(2015, 1, 1), "year")


def test_number_is_not_a_year():
    assert find_dates("سرحد پر 2500 فوجی موجود ہیں۔") == []


@pytest.mark.parametrize("word, expected", [
    ("پیر", date(2024, 11, 11)), ("منگل", date(2024, 11, 12)), ("بدھ", date(2024, 11, 13)),
    ("جمعرات", date(2024, 11, 14)), ("جمعہ", date(2024, 11, 8)), ("اتوار", date(2024, 11, 10)),
])
def test_weekday_is_most_recent_on_or_before_reference(word, expected):
    _, r = one(f"وفد نے {word} کو ملاقات کی۔")
    assert (r.date, r.precision) == (expected, "day")


def test_weekday_after_a_text_reference():
    # the reference is only the latest date written in the article: publication is on or after it
    _, r = one("وزیر نے جمعہ کے روز کہا۔", ref=date(2023, 9, 13), after=True)
    assert r.date == date(2023, 9, 15)


def test_weekday_needs_a_follower():
    assert find_dates("گزشتہ ہفتے کئی واقعات ہوئے") and all(e.kind != "weekday" for e in find_dates("گزشتہ ہفتے"))
    assert find_dates("بدھ مت کے پیروکار") == []


@pytest.mark.parametrize("text, expected, precision", [
    ("آج اجلاس ہوا", date(2024, 11, 14), "day"),
    ("کل اجلاس ہوا", date(2024, 11, 13), "day"),
    ("گزشتہ روز اجلاس ہوا", date(2024, 11, 13), "day"),
    ("گزشتہ ہفتے اجلاس ہوا", date(2024, 11, 4), "week"),
    ("گزشتہ ماہ اجلاس ہوا", date(2024, 10, 1), "month"),
    ("رواں سال اجلاس ہوا", date(2024, 1, 1), "year"),
    ("گزشتہ سال اجلاس ہوا", date(2023, 1, 1), "year"),
])
def test_relative(text, expected, precision):
    _, r = one(text)
    assert (r.date, r.precision) == (expected, precision)


def test_nowadays_is_not_today():
    assert find_dates("آج کل مہنگائی زیادہ ہے") == []


def test_relative_without_reference_is_unknown():
    expr, r = one("کل اجلاس ہوا", ref=None)
    assert r is None


def test_reference_is_publication_date_never_a_body_date():
    text = "پہلا اجلاس 2 جنوری 2020 کو اور دوسرا 9 فروری 2021 کو ہوا۔"
    assert reference_date(text, datetime(2022, 5, 1, tzinfo=timezone.utc)) == date(2022, 5, 1)
    ref = reference(text, "2022-05-01")
    assert (ref.date, ref.source, ref.from_text) == (date(2022, 5, 1), "published", False)
    # the issue: with no publication date the latest body date (background) became the reference
    assert reference(text, None) is None
    assert reference_date("کوئی تاریخ نہیں", None) is None


@pytest.mark.parametrize("dateline, expected", [
    ("ممبئی ۔ یکم دسمبر 2014 (اے پی پی)", date(2014, 12, 1)),
    ("اسلام آباد ۔24 نومبر ۲۰۱۴ء (اے پی پی)", date(2014, 11, 24)),
    ("واشنگٹن۔27نومبر 2014", date(2014, 11, 27)),
])
def test_reference_falls_back_to_the_dateline(dateline, expected):
    body = "وزیر خارجہ نے گزشتہ روز کہا کہ 2013 کا معاہدہ برقرار رہے گا۔"
    ref = reference(body, None, dateline=dateline)
    assert (ref.date, ref.source, ref.from_text) == (expected, "dateline", False)
    # the publication date still comes first
    assert reference(body, date(2014, 12, 2), dateline=dateline).date == date(2014, 12, 2)


def test_yearless_dateline_takes_a_year_only_from_a_body_date_of_its_own_month():
    dateline = "ممبئی ۔ یکم دسمبر (اے پی پی)"
    assert reference("اداکارہ نے 2012 میں فلم سائن کی اور 5 مارچ 2013 کو ریلیز ہوئی۔", None, dateline=dateline) is None
    body = "فلم یکم دسمبر 2014 کو ریلیز ہوئی، جبکہ دسمبر 2013 میں شوٹنگ شروع ہوئی تھی۔"
    assert reference(body, None, dateline=dateline).date == date(2014, 12, 1)
    assert reference("شوٹنگ دسمبر 2013 میں شروع ہوئی۔", None, dateline=dateline).date == date(2013, 12, 1)
    assert reference("شوٹنگ 9 دسمبر 2013 کو شروع ہوئی۔", None, dateline=dateline) is None  # another day
    assert reference("کوئی تاریخ نہیں", None, dateline="ماسکو: (ویب ڈیسک)") is None  # a dateline with no date


@pytest.mark.parametrize("text, expected, precision", [
    ("آج وزیر اعظم نے خطاب کیا", date(2014, 12, 1), "day"),
    ("گزشتہ روز وزیر اعظم نے خطاب کیا", date(2014, 11, 30), "day"),
    ("جمعہ کو وزیر اعظم نے خطاب کیا", date(2014, 11, 28), "day"),  # 1 Dec 2014 was a Monday
    ("رواں ماہ وزیر اعظم نے خطاب کیا", date(2014, 12, 1), "month"),
    ("گزشتہ ہفتے وزیر اعظم نے خطاب کیا", date(2014, 11, 24), "week"),
    ("کل وزیر اعظم نے خطاب کیا", date(2014, 11, 30), "day"),
    ("گزشتہ برس وزیر اعظم نے خطاب کیا", date(2013, 1, 1), "year"),
    ("آئندہ ماہ وزیر اعظم خطاب کریں گے", date(2015, 1, 1), "month"),
    ("20 نومبر کو وزیر اعظم نے خطاب کیا", date(2014, 11, 20), "day"),
])
def test_relative_expressions_read_against_the_dateline(text, expected, precision):
    ref = reference(text, None, dateline="ممبئی ۔ یکم دسمبر 2014 (اے پی پی)")
    _, r = one(text, ref=ref.date, after=ref.from_text)
    assert (r.date, r.precision) == (expected, precision)


@pytest.mark.parametrize("text", ["آج وزیر اعظم نے خطاب کیا", "گزشتہ روز اجلاس ہوا", "جمعہ کو اجلاس ہوا",
                                  "رواں ماہ اجلاس ہوا", "گزشتہ ہفتے اجلاس ہوا", "20 نومبر کو اجلاس ہوا",
                                  "رواں سال مئی میں اجلاس ہوا"])
def test_no_reference_means_no_date_not_a_wrong_one(text):
    # body dates elsewhere in the article must not lend a reference
    article = "پہلا اجلاس 2 جنوری 2020 کو ہوا۔ " + text
    assert reference(article, None) is None
    expr = [e for e in find_dates(article) if e.start > 30]
    assert len(expr) == 1 and resolve_date(expr[0], None) is None


def test_absolute_dates_need_no_reference():
    _, r = one("اجلاس 5 مارچ 2021 کو ہوا۔", ref=None)
    assert r.date == date(2021, 3, 5)


def test_day_word_yakum():
    expr, r = one("معاہدہ یکم نومبر کو ہوا۔")
    assert (expr.day, expr.month, r.date) == (1, 11, date(2024, 11, 1))


def test_date_words_are_validated(tmp_path: Path):
    words = load_date_words()
    assert words.day_words == {"یکم": 1}
    data = yaml.safe_load((Path(__file__).parent.parent / "khabar/lang/ur/dates.yaml").read_text(encoding="utf-8"))
    assert set(data["months"]) == set(range(1, 13))
    del data["months"][12]
    bad = tmp_path / "dates.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="months"):
        load_date_words(path=bad)
    data["months"][12] = ["دسمبر"]
    data["day_words"] = {"یکم": 40}
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="day_words"):
        load_date_words(path=bad)
