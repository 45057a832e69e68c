"""English forms of unknown Urdu names (tasks.romanize): learnt from the dictionary's own people plus the
hand-written common names of khabar/lang/ur/romanization.yaml."""
from __future__ import annotations

import pytest

from tasks.normalize import normalize_for_match
from tasks.romanize import load_romanization_rules, romanize


@pytest.fixture(scope="module")
def rules():
    return load_romanization_rules()


def parts(name: str) -> list[str]:
    return normalize_for_match(name).split()


@pytest.mark.parametrize("name,english", [
    ("خالد محمود", "Khalid Mahmood"),
    ("عتیق الرحمن", "Atiq-ur-Rehman"),     # the Arabic article goes with the part after it
    ("معراج الدین", "Mehraj-ud-Din"),
    ("ابراہیم", "Ibrahim"),
    ("وسیم ملک", "Waseem Malik"),
])
def test_usual_spelling_comes_first(rules, name, english):
    assert romanize(parts(name), rules)[0] == english


def test_variant_spellings_are_kept_as_aliases(rules):
    forms = romanize(parts("فیصل یوسف"), rules)
    assert {"Faisal Yusuf", "Faisal Yousuf", "Faisal Yousaf"} <= set(forms)
    assert len(forms) <= 8


def test_a_name_with_an_unknown_part_gets_no_english_form(rules):
    assert romanize(parts("خالد پلدیوگوکس"), rules) == []
    assert romanize([], rules) == []


@pytest.mark.parametrize("part,spelling,fits", [
    ("ابراہیم", "Ibrahim", True), ("آصف", "Asif", True), ("خالد", "Khalid", True),
    ("الرحمن", "-ur-Rehman", True), ("الرحمن", "Rehman", True),
    ("شریف", "Nawaz", False),  # a misaligned alias pair ("شریف نواز" beside "Nawaz Sharif")
    ("پرویز", "General", False),  # "جنرل" dropped on one side only
])
def test_first_letter_check_drops_misaligned_pairs(rules, part, spelling, fits):
    assert rules.initial_fits(normalize_for_match(part), spelling) is fits


def test_table_is_generated_from_the_dictionary_and_every_row_fits(rules):
    assert len(rules.parts) > 1500
    for part, spellings in rules.parts.items():
        assert spellings, part
        assert all(rules.initial_fits(part, s) for s in spellings), (part, spellings)
