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


def test_reference_prefers_publication_date_then_latest_full_date():
    text = "پہلا اجلاس 2 جنوری 2020 کو اور دوسرا 9 فروری 2021 کو ہوا۔"
    assert reference_date(text, datetime(2022, 5, 1, tzinfo=timezone.utc)) == date(2022, 5, 1)
    ref = reference(text, None)
    assert ref.date == date(2021, 2, 9) and ref.from_text
    assert reference_date("کوئی تاریخ نہیں", None) is None


def test_date_words_are_validated(tmp_path: Path):
    data = yaml.safe_load((Path(__file__).parent.parent / "khabar/lang/ur/dates.yaml").read_text(encoding="utf-8"))
    assert set(data["months"]) == set(range(1, 13))
    del data["months"][12]
    bad = tmp_path / "dates.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="months"):
        load_date_words(path=bad)
