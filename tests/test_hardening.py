"""Hardening (issue 15): where data goes by default, language identification, mixed-script offsets."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from khabar.config import REPO_ROOT, Settings, default_warehouse


def test_default_warehouse_is_outside_the_source_tree(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_warehouse() == tmp_path / "xdg" / "khabar"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")  # the XDG spec: relative paths are ignored
    assert default_warehouse() == Path.home() / ".local" / "share" / "khabar"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.delenv("KHABAR_WAREHOUSE", raising=False)
    wh = Settings.from_env().warehouse
    assert wh == Path.home() / ".local" / "share" / "khabar"
    assert not wh.is_relative_to(REPO_ROOT)  # never the warehouse/ source folder, never the working folder
    monkeypatch.setenv("KHABAR_WAREHOUSE", str(tmp_path / "mine"))
    assert Settings.from_env().warehouse == tmp_path / "mine"


def test_cli_default_warehouse_follows_xdg(tmp_path):
    """A fresh process (the CLI reads the environment once) with no --warehouse looks in $XDG_DATA_HOME/khabar."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "COLUMNS": "400"}
    res = subprocess.run([sys.executable, "-m", "khabar.cli", "query", "SELECT 1"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert str(tmp_path / "data" / "khabar" / "khabar.duckdb") in " ".join(res.stderr.split())
    assert "Traceback" not in res.stderr


def test_log_lines_print_above_the_progress_bar(capsys):
    """A Prefect log line during a run is printed through the bar's console (the bar is cleared, the line
    printed, the bar redrawn under it), not written into the bar's line on the terminal."""
    import io
    import logging

    from prefect.logging.handlers import PrefectConsoleHandler
    from rich.console import Console

    from flows.progress import ProgressDisplay

    logger = logging.getLogger("prefect.khabar_test_progress")
    handler = PrefectConsoleHandler(stream=sys.stderr)
    logger.addHandler(handler)
    logger.propagate = False
    screen = io.StringIO()
    try:
        with ProgressDisplay(["ingest", "load"], console=Console(file=screen, force_terminal=True, width=100)):
            logger.warning("a log line from inside the flow")
        logger.warning("after the run")
    finally:
        logger.removeHandler(handler)
    shown = screen.getvalue()
    at = shown.index("a log line from inside the flow")
    assert "khabar:" in shown[at:]  # the bar drawn again below the log line
    err = capsys.readouterr().err
    assert "a log line from inside the flow" not in err  # not written around the bar
    assert "after the run" in err  # the handler has its own stream back


# ------------------------------------------------------------------------------- language identification
# Written for these tests (news-like sentences); the Shahmukhi ones are from the Punjabi Shahmukhi NER corpus
# (toqeerehsan/Punjabi-Shahmukhi-Named-Entity-Recognition, Data/cleaned/Test.txt), two sentences.
LANGUAGE_SAMPLES = {
    "fa": "وزیر امور خارجه ایران روز دوشنبه در دیدار با همتای ترکیه‌ای خود درباره تحولات منطقه گفتگو کرد و "
          "گفت که این دو کشور همکاری‌های اقتصادی را گسترش خواهند داد.",
    "ar": "قال وزير الخارجية الإيراني يوم الاثنين إن المحادثات مع نظيره التركي تناولت التطورات في المنطقة، "
          "وأضاف أن البلدين سيعززان التعاون الاقتصادي بينهما.",
    "hi": "विदेश मंत्री ने सोमवार को कहा कि दोनों देशों के बीच बातचीत जारी रहेगी और व्यापार बढ़ाने पर सहमति बनी है।",
    "en": "The foreign minister said on Monday that talks between the two countries would continue next week.",
    "pnb": "اوہناں موجب آصف علی زرداری نوں شدت پسنداں دے خلاف کاروائی وچ مسلم لیگ نون دی حمیت توں بغیر پیش قدمی "
           "کرنا اوکھا ہووے گا ۔ ایس توں بعد مصر ریٹیریا تے ایتھوپیا دا نمبر آندا ہے ۔",
    "ur": "وزیر خارجہ نے پیر کو کہا کہ دونوں ممالک کے درمیان مذاکرات اگلے ہفتے بھی جاری رہیں گے اور تجارت "
          "بڑھانے پر اتفاق ہو گیا ہے۔",
}


def test_each_language_is_told_apart():
    from tasks.langid import identify_language

    for lang, text in LANGUAGE_SAMPLES.items():
        assert identify_language(text) == lang, lang
    assert identify_language("") is None and identify_language("12 ۔ 3") is None


SHARED = Path(__file__).resolve().parents[2] / "shared"


def test_urdu_news_is_never_taken_for_punjabi_or_persian():
    """Every sentence of 200 real Urdu news articles (news_2024_world in ../shared/data) is Urdu."""
    import json

    from tasks.langid import identify_language

    paragraphs = []
    with (SHARED / "data" / "news_2024_world" / "articles.jsonl").open(encoding="utf-8") as fh:
        for _, row in zip(range(200), fh):
            sentences = json.loads(row)["text"].replace("\n", "۔").split("۔")
            paragraphs += [p for p in sentences if sum(c.isalpha() for c in p) >= 25]
    assert len(paragraphs) > 1500
    wrong = [(identify_language(p), p[:80]) for p in paragraphs if identify_language(p) != "ur"]
    assert not wrong, wrong[:5]


def test_persian_and_arabic_letters_are_not_folded_into_urdu():
    from tasks.clean import clean_document

    for lang in ("fa", "ar"):
        text = LANGUAGE_SAMPLES[lang]
        assert clean_document(text, language=lang).text == text  # ه ي ك ة stay as written
    urdu = clean_document("ايران كے صدر", language="ur").text  # Arabic yeh/kaf typed in Urdu text: folded
    assert urdu == "ایران کے صدر"


def test_language_rules_file_is_checked(tmp_path):
    import pytest

    from tasks.langid import load_rules

    bad = tmp_path / "langid.yaml"
    bad.write_text("shahmukhi_punjabi:\n  label: pnb\n  punjabi_words: [وچ, کا]\n  urdu_words: [کا]\n"
                   "  min_punjabi_words: 2\n  over_urdu_words: 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="both Punjabi and Urdu"):
        load_rules(bad)
    bad.write_text("shahmukhi_punjabi:\n  label: pnb\n", encoding="utf-8")
    with pytest.raises(ValueError, match="langid.yaml"):
        load_rules(bad)


# ------------------------------------------------------------------------------- mixed-script offsets
LATIN_INSERTS = ["Vladimir Putin", "Kim Jong Un", "UN Security Council", "(AFP)", "NATO", "U.S.", "Dr. Ali Khan",
                 "New York Times", "COVID-19", "G-20", "e-mail", "Reuters:", "“Joe Biden”", "Putin۔", "ISPR's",
                 "President Vladimir Putin said on Monday that talks would go on.", "www.dawn.com", "3.5%"]
GLUES = [" ", " ", " ", "\u00a0", "", "\u200c", "، ", "۔ ", "\n"]


def mixed_articles(seeds_dir: Path, n: int, seed: int = 15) -> list[str]:
    """Seeded mixes of real Urdu sentences (the seeds) and English names, words and sentences, joined with
    ordinary, no-break and zero-width spaces, Urdu punctuation or nothing at all."""
    import random

    rng = random.Random(seed)
    sentences = [s.strip() for p in sorted(seeds_dir.glob("*.txt"))
                 for s in p.read_text(encoding="utf-8").replace("\n", "۔").split("۔") if len(s.split()) > 4]
    texts = []
    for _ in range(n):
        parts = []
        for sentence in rng.sample(sentences, 3):
            words = sentence.split()
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(words) + 1)
                words.insert(at, rng.choice(GLUES).join(["", rng.choice(LATIN_INSERTS)]).strip() or "X")
            parts.append(" ".join(words) + rng.choice(["۔", "۔", ".", "؟", ""]))
        texts.append(rng.choice(GLUES).join(parts) if rng.random() < 0.3 else " ".join(parts))
    return texts


@pytest.mark.slow
def test_offsets_are_exact_on_mixed_urdu_and_english(seeds_dir, stanza_dir, d):
    """Property (24 seeded mixed texts, cleaned as the flow cleans them, parsed and linked for real): every
    token's, sentence's and mention's text is article.text[start:end], and a mention starts and ends on a word
    boundary (the 'adimir Putin' of issue 15 was a span two letters into a name)."""
    from tasks.clean import clean_document
    from tasks.ids import sha256_text
    from tasks.link import link_article
    from tasks.nlp import parse_articles

    articles = []
    for i, raw in enumerate(mixed_articles(seeds_dir, 24)):
        text = clean_document(raw, language="ur").text
        articles.append({"article_id": f"mix{i}", "text": text, "language": "ur", "content_hash": sha256_text(text)})
    out = parse_articles(articles, models_dir=stanza_dir, torch_threads=1)
    assert not out.failures
    texts = {a["article_id"]: a["text"] for a in articles}
    for row in out.tokens + out.sentences:
        assert texts[row["article_id"]][row["start_char"]:row["end_char"]] == row["text"]
    mentions = []
    for art in articles:
        aid = art["article_id"]
        mine = lambda rows: [r for r in rows if r["article_id"] == aid]  # noqa: E731
        mentions += link_article(art, mine(out.sentences), mine(out.tokens), mine(out.mentions), d).mentions
    latin = [m for m in mentions if any("a" <= c.lower() <= "z" for c in m["text"])]
    assert len(mentions) > 100 and len(latin) > 5, (len(mentions), len(latin))
    for m in mentions:
        text = texts[m["article_id"]]
        s, e = m["start_char"], m["end_char"]
        assert text[s:e] == m["text"] != "", m
        assert not (s > 0 and text[s - 1].isalnum() and text[s].isalnum()), ("starts inside a word", text[s - 5:e])
        assert not (e < len(text) and text[e - 1].isalnum() and text[e].isalnum()), ("ends inside a word", text[s:e + 5])
