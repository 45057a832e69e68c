"""Hardening (issue 15): where data goes by default, language identification, mixed-script offsets."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_urdu_news_is_never_taken_for_punjabi_or_persian(shared_dir=Path(__file__).resolve().parents[2] / "shared"):
    """Every sentence of 200 real Urdu news articles (news_2024_world in ../shared/data) is Urdu."""
    import json

    from tasks.langid import identify_language

    paragraphs = []
    with (shared_dir / "data" / "news_2024_world" / "articles.jsonl").open(encoding="utf-8") as fh:
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
