"""Clean: furniture rules (data + schema), metadata pulled from the body, on real seed/COUNTER text."""
from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest
import yaml

from tasks.clean import (FurnitureSchemaError, clean_document, furniture_files, load_furniture, load_raw,
                         match_furniture, split_dateline, validate_furniture)
from tasks.normalize import normalize_text


def seeds(seeds_dir: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]


def input_lines(text: str) -> set[str]:
    return {normalize_text(line).strip() for line in text.splitlines() if line.strip()}


# ---------------------------------------------------------------- the data files

def test_furniture_files_follow_schema() -> None:
    files = furniture_files()
    assert {"common", "ur"} <= set(files)
    for lang, path in files.items():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        validate_furniture(data, str(path))
        for rule in data.get("rules", []):  # patterns are written in normalized letters, or they never match
            assert normalize_text(rule["pattern"]) == rule["pattern"], (lang, rule["id"])


@pytest.mark.parametrize("lang", sorted(furniture_files()))
def test_rule_examples_and_non_examples(lang: str) -> None:
    furniture = load_furniture(None if lang == "common" else lang)
    by_id = {r.id: r for r in furniture.rules}
    for rule in load_raw(lang).get("rules", []):
        compiled = by_id[rule["id"]]
        for ex in rule["examples"]:
            line = normalize_text(ex).strip()
            assert compiled.regex.fullmatch(line), (rule["id"], ex)
        for ex in rule["non_examples"]:  # no rule at all may eat these real sentences
            assert match_furniture(normalize_text(ex).strip(), furniture) is None, (rule["id"], ex)


def test_dateline_examples() -> None:
    furniture = load_furniture("ur")
    d = load_raw("ur")["dateline"]
    for text, expected in d["examples"]:
        got = split_dateline(normalize_text(text), furniture)
        assert got is not None and got[0] == normalize_text(expected) and got[1], text
    for text in d["non_examples"]:
        assert split_dateline(normalize_text(text), furniture) is None, text


@pytest.mark.parametrize("breakage,message", [
    (lambda d: d["rules"][0].update(kind="banner"), "kind must be one of"),
    (lambda d: d["rules"][0].pop("non_examples"), "non_example"),
    (lambda d: d["rules"][0].update(pattern="(unclosed"), "bad regex"),
    (lambda d: d["rules"][0].update(pattern="{no_such_list}"), "unknown word list"),
    (lambda d: d["rules"].append(copy.deepcopy(d["rules"][0])), "duplicated"),
    (lambda d: d.update(colour="red"), "unknown keys"),
    (lambda d: d["dateline"].update(colour="red"), "dateline: unknown keys"),
    (lambda d: d["dateline"]["parts"].update(months="x"), "share names"),
    (lambda d: d["dateline"]["loose_patterns"].append("{place}:"), "needs a"),
    (lambda d: d["dateline"]["patterns"].append("(?P<dateline>{nope})"), "unknown word list"),
])
def test_schema_rejects_broken_files(breakage, message: str) -> None:
    data = copy.deepcopy(load_raw("ur"))
    breakage(data)
    with pytest.raises(FurnitureSchemaError, match=message):
        validate_furniture(data, "ur/furniture.yaml")


def test_dateline_months_cover_every_spelling_of_the_date_words() -> None:
    dates = yaml.safe_load((Path(__file__).parent.parent / "khabar/lang/ur/dates.yaml").read_text(encoding="utf-8"))
    spellings = {normalize_text(w) for ws in dates["months"].values() for w in ws}
    assert spellings <= {normalize_text(w) for w in load_raw("ur")["words"]["months"]}


# ---------------------------------------------------------------- datelines in documents (Urdu written for the tests)

BODY = "امریکی وزیر خارجہ نے کہا ہے کہ مذاکرات جاری رہیں گے۔"


@pytest.mark.parametrize("first_line, dateline", [
    ("واشنگٹن: ", "واشنگٹن:"),
    ("واشنگٹن (ویب ڈیسک) ", "واشنگٹن (ویب ڈیسک)"),
    ("اسلام آباد ( اے پی پی ) ", "اسلام آباد ( اے پی پی )"),
    ("ماسکو۔ ", "ماسکو۔"),
    ("ممبئی ۔ یکم دسمبر (اے پی پی) ", "ممبئی ۔ یکم دسمبر (اے پی پی)"),
    ("واشنگٹن ۔ 23 نومبر: ", "واشنگٹن ۔ 23 نومبر:"),
    ("نئی دہلی ۔ ۱۴ اگست ۲۰۲۴ء (اے ایف پی)", "نئی دہلی ۔ ۱۴ اگست ۲۰۲۴ء (اے ایف پی)"),
    ("تل ابیب/ بیروت (مانیٹرنگ ڈیسک) ", "تل ابیب/ بیروت (مانیٹرنگ ڈیسک)"),
])
def test_dateline_cut_from_the_text(first_line: str, dateline: str) -> None:
    r = clean_document(first_line + BODY + "\nدوسرا پیراگراف یہاں ہے۔", title="مذاکرات جاری رہیں گے")
    assert r.dateline == dateline
    # articles.text is what NLP sees: the dateline is gone, the sentence starts at its subject
    assert r.text == "مذاکرات جاری رہیں گے\n\n" + BODY + "\n\nدوسرا پیراگراف یہاں ہے۔"


def test_dateline_after_a_headline_line_and_none_in_prose() -> None:
    r = clean_document("مذاکرات جاری رہیں گے\nواشنگٹن: " + BODY)
    assert (r.title, r.dateline) == ("مذاکرات جاری رہیں گے", "واشنگٹن:") and r.text.endswith("\n\n" + BODY)
    for prose in ["انہوں نے کہا: مذاکرات جاری رہیں گے۔", "لاہور 5 مئی کو جلسہ ہوا جس میں ہزاروں لوگ شریک ہوئے۔",
                  "پاکستان 14 اگست 1947 کو آزاد ہوا۔", "یہ بات درست ہے۔ حکومت نے فیصلہ کیا۔", BODY]:
        r = clean_document(prose, title="سرخی")
        assert r.dateline is None and r.text == "سرخی\n\n" + prose, prose


def test_bare_place_form_only_in_the_first_body_paragraph() -> None:
    # an interview's "ترجمان: …" further down is a speaker, not a dateline; bracketed credits still count there
    text = BODY + "\nترجمان دفتر خارجہ: ہم تیار ہیں۔"
    assert clean_document(text, title="سرخی").dateline is None
    r = clean_document("پہلا جملہ یہاں ہے۔\nکراچی (سٹاف رپورٹر) " + BODY, title="سرخی")
    assert r.dateline == "کراچی (سٹاف رپورٹر)" and r.text == "سرخی\n\nپہلا جملہ یہاں ہے۔\n\n" + BODY


# Hostile first paragraphs of n letters. A backtracking pattern was ~L^4.5 in a first word's length (80
# letters: 36 s); linear work grows 10x from n to 10n, quadratic 100x.
HOSTILE = {
    "long first word": lambda n: "ب" * n + " نے کہا کہ مذاکرات جاری رہیں گے۔",  # the case
    "long word, full stop": lambda n: "ب" * n + "۔ مذاکرات جاری رہیں گے۔",
    "many one-letter words": lambda n: "ب " * (n // 2) + "ہے۔",
    "unclosed credit": lambda n: "لاہور (" + "ب" * n,
    "spaces": lambda n: "لاہور" + " " * n + "ب",
    "full stops": lambda n: "لاہور ۔" + "۔ " * (n // 2) + "ب ج",
    "slashes": lambda n: "ب" + "/" * n + "ب",
    "brackets": lambda n: "(" * n,
    "place date then words": lambda n: "لاہور 5 مئی" + " ب" * (n // 2),
    "five long words": lambda n: " ".join(["ب" * (n // 5)] * 5) + " ہے",
    "separators": lambda n: "لاہور" + "،" * n + "ب",
}


def _work(paragraph: str) -> float:
    """Seconds for the dateline search and a whole clean of the paragraph (best of 5: scheduling noise only adds)."""
    furniture = load_furniture("ur")
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        split_dateline(paragraph, furniture)
        clean_document(paragraph, title="سرخی")
        best = min(best, time.perf_counter() - t)
    return best


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_dateline_search_is_linear(name: str) -> None:
    make = HOSTILE[name]
    small, large = _work(make(1_000)), _work(make(10_000))
    # compared in one run, so a slow or busy machine slows both: ~10 when linear, ~100 when quadratic
    assert large / small < 30, (name, small, large)


# ---------------------------------------------------------------- seeds

def test_seed_furniture_removed_and_prose_kept(seeds_dir: Path) -> None:
    for raw in seeds(seeds_dir):
        before = raw
        r = clean_document(raw, language="ur")
        assert raw == before  # raw text untouched
        assert r.removed_lines, "every seed carries some page furniture"
        paragraphs = r.text.split("\n\n")
        for removed in r.removed_lines:
            assert removed not in paragraphs
        # nothing invented: each output paragraph is a normalized input line (or its tail after a dateline)
        lines = input_lines(raw)
        assert all(p in lines or any(l.endswith(p) for l in lines) for p in paragraphs)
        # nothing lost: every input line is in the output or was removed/pulled out as metadata
        kept = set(paragraphs) | set(r.removed_lines)
        for line in lines:
            assert line in kept or (r.source_url and r.source_url in line) or (r.dateline and line.startswith(r.dateline))
        assert r.text == normalize_text(r.text.replace("\n\n", "\x00")).replace("\x00", "\n\n")


def test_seed_metadata(seeds_dir: Path) -> None:
    s0, s1, s2 = seeds(seeds_dir)
    r0 = clean_document(s0)
    assert r0.title == normalize_text(s0.splitlines()[0]) and r0.text.startswith(r0.title + "\n\n")
    r1 = clean_document(s1)
    assert r1.title is None  # its first line is a 270-character paragraph, not a headline
    assert r1.source_url and r1.source_url.startswith("https://") and r1.source_url not in r1.text
    r2 = clean_document(s2)
    assert r2.dateline and r2.dateline.endswith(")")
    dateline_line = next(l for l in input_lines(s2) if l.startswith(r2.dateline))
    rest = dateline_line[len(r2.dateline):].strip()
    assert rest in r2.text.split("\n\n") and r2.dateline not in r2.text  # dateline cut, its sentence kept


def test_glued_furniture_between_concatenated_articles(seeds_dir: Path) -> None:
    s0, s1, s2 = seeds(seeds_dir)
    r = clean_document(s0 + s1 + s2)  # the seeds have no final newline: widget titles glue to the next article
    paragraphs = r.text.split("\n\n")
    for nxt in (s1, s2):
        first = normalize_text(nxt.splitlines()[0])
        assert first in paragraphs
    assert not any(p.startswith(("زیادہ پڑھی", "تبصرہ (")) for p in paragraphs)


def test_invented_variants_are_removed(seeds_dir: Path) -> None:
    body = [l for l in seeds(seeds_dir)[0].splitlines() if l.strip()]
    junk = ["Read more", "READ MORE »", "یہ بھی پڑھیں: پاکستان نے سیریز جیت لی", "مزید پڑھیں", "73% Likes VS",
            "27% Dislikes", "IMG_2041.JPG", "breaking news banner.png", "Comments (12)", "تبصرے (14)", "0 تبصرے",
            "ہمیں فیس بک پر فالو کریں", "Join our WhatsApp channel", "Tags (Taxonomy Term field)",
            "سب سے زیادہ پڑھی جانے والی خبریں", "اپنی رائے دیں", "Advertisement", "* * *"]
    mixed = []
    for i, line in enumerate(body):
        mixed.append(line)
        if i < len(junk):
            mixed.append(junk[i])
    mixed += junk[len(body):]
    r = clean_document("\n".join(mixed))
    plain = clean_document("\n".join(body))
    assert r.text == plain.text and r.title == plain.title  # the seed's own prose is untouched
    assert sorted(r.removed_lines) == sorted(plain.removed_lines + [normalize_text(j) for j in junk])
    glued = clean_document("تبصرے (3)" + body[0] + "\n" + body[1] + "\nزیادہ دیکھی جانے والی کھیلوں" + body[2])
    assert glued.title == normalize_text(body[0])
    assert glued.text.split("\n\n")[2] == normalize_text(body[2])


def test_source_url_lines() -> None:
    body = "پہلا جملہ یہاں ہے۔\n"
    for line, url in [("ماخذ: https://example.com/a?b=1", "https://example.com/a?b=1"),
                      ("Source: https://news.example.org/x", "https://news.example.org/x"),
                      ("بشکریہ : www.example.pk/story/9", "www.example.pk/story/9")]:
        r = clean_document(body + "دوسرا جملہ۔\n" + line)
        assert r.source_url == url and url not in r.text and "ماخذ" not in r.text
    # a sentence citing a source keeps its words
    r = clean_document(body + "ماخذ کے مطابق حکومت نے فیصلہ کیا۔")
    assert r.source_url is None and "ماخذ کے مطابق" in r.text


def test_given_title_goes_first_once() -> None:
    r = clean_document("سرخی یہاں ہے\n\nپہلا جملہ۔", title=" سرخي يہاں ہے ")
    assert r.title == "سرخی یہاں ہے" and r.text == "سرخی یہاں ہے\n\nپہلا جملہ۔"
    r = clean_document("پہلا جملہ۔", title="ایک سرخی")
    assert r.text == "ایک سرخی\n\nپہلا جملہ۔"


def test_normalization_applied_and_diacritics_kept() -> None:
    r = clean_document("كِتاب كي بات\u200c\u0640ہے۔\n\nدوسرا جملہ۔", title="سرخی")
    assert "کِتاب کی بات" in r.text and "\u0640" not in r.text and "\u200c" not in r.text


def test_language_selection() -> None:
    text = "پہلا جملہ۔\nمزید پڑھیں\nRead more\nیہ جملہ رہے گا۔"
    assert set(clean_document(text, language="ur").removed_lines) == {"مزید پڑھیں", "Read more"}
    assert clean_document(text, language="en").removed_lines == ["Read more"]  # no English file: common rules only
    assert set(clean_document(text, language=None).removed_lines) == {"مزید پڑھیں", "Read more"}


# ---------------------------------------------------------------- real corpus: no false positives

def test_counter_corpus_loses_no_prose(counter_dir: Path) -> None:
    records = [json.loads(l) for l in (counter_dir / "docs.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    with_words = 0
    datelines = 0
    for rec in records:
        r = clean_document(rec["text"], title=rec["title"])
        assert r.removed_lines == [], (rec["id"], r.removed_lines)  # news-agency copy has no page furniture
        with_words += any(w in rec["text"] for w in ("تبصرہ", "پڑھ"))
        if r.dateline:
            datelines += 1
            assert not r.text.split("\n\n")[1].startswith(r.dateline)
    assert with_words >= 5  # real sentences with تبصرہ / پڑھ were in play and all survived
    assert datelines >= 0.98 * len(records)


def test_world_news_datelines(counter_dir: Path) -> None:
    path = counter_dir.parent / "news_2024_world" / "articles.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        r = clean_document(rec["text"], title=rec["title"])
        if r.dateline:
            found.append(r.dateline)
            assert normalize_text(rec["text"]).startswith(r.dateline)  # a dateline opens the body, nothing else
            assert len(r.dateline.split()) <= 4 and r.dateline.endswith((":", "۔", ")"))
    assert len(found) >= 60  # "واشنگٹن: …" is this outlet's form (there were 0 before)
