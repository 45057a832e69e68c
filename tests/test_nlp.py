"""NLP stage: model directories, language id, label mapping, offsets on real Urdu, failures, parse cache.

Real Stanza models (the small offline Urdu ones under ../shared/stanza_resources), no mocks.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from khabar import cli_models
from tasks import nlp as N
from tasks.ids import stable_id

IL_NER = {"NEP": "PERSON", "NEL": "LOCATION", "NEO": "ORGANIZATION", "NEN": "NUMBER", "NETI": "TIME",
          "NEAR": "ARTIFACT"}


def _seed_articles(seeds_dir: Path) -> list[dict]:
    return [{"article_id": p.stem, "text": p.read_text(encoding="utf-8"), "language": "ur",
             "content_hash": "h-" + p.stem, "source_path": str(p)}
            for p in sorted(seeds_dir.glob("*.txt"))]


def _counter_articles(counter_dir: Path, n: int) -> list[dict]:
    rows = []
    with open(counter_dir / "docs.jsonl", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            text = f"{rec['title']}\n\n{rec['text']}" if rec.get("title") else rec["text"]
            rows.append({"article_id": rec["id"], "text": text, "language": "ur", "content_hash": "h-" + rec["id"]})
            if len(rows) == n:
                break
    return rows


# ------------------------------------------------------------------------------------------- models dir

def test_resolve_models_dir_order(monkeypatch, tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    monkeypatch.setenv("KHABAR_MODELS_DIR", str(b))
    monkeypatch.setenv("STANZA_RESOURCES_DIR", str(c))
    assert N.resolve_models_dir(a) == a.resolve()
    assert N.resolve_models_dir(None) == b.resolve()
    monkeypatch.delenv("KHABAR_MODELS_DIR")
    assert N.resolve_models_dir(None) == c.resolve()
    monkeypatch.delenv("STANZA_RESOURCES_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert N.resolve_models_dir(None) == (tmp_path / "home" / "stanza_resources").resolve()


def test_available_models_lists_real_files(stanza_dir):
    rows = N.available_models(stanza_dir)
    procs = {r["processor"]: r for r in rows if r["lang"] == "ur"}
    assert set(procs) == {"tokenize", "pos", "lemma", "depparse", "ner"}
    assert procs["ner"]["package"] == "ilner_nocharlm" and procs["ner"]["default"]
    assert all(r["size_bytes"] == Path(r["path"]).stat().st_size > 100_000 for r in rows)
    assert N.pipeline_processors("urd", stanza_dir)["tokenize"] == "udtb"  # alias from resources.json


def test_missing_model_message_function(tmp_path, stanza_dir):
    with pytest.raises(N.ModelNotFoundError) as err:
        N.get_pipeline("ur", tmp_path)
    msg = str(err.value)
    assert str(tmp_path.resolve()) in msg and "khabar models download ur" in msg
    assert "KHABAR_MODELS_DIR" in msg and "STANZA_RESOURCES_DIR" in msg and "--models-dir" in msg
    with pytest.raises(N.ModelNotFoundError, match="khabar models download fa"):
        N.model_version("fa", stanza_dir)
    assert not N.has_models("fa", stanza_dir) and N.has_models("ur", stanza_dir)


def test_missing_model_message_cli(tmp_path, stanza_dir):
    app = typer.Typer()
    cli_models.register(app)

    @app.command()
    def other() -> None:  # a second command so `models` is addressed as a sub-command
        pass

    runner = CliRunner()
    missing = runner.invoke(app, ["models", "--models-dir", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1
    assert "khabar models download ur" in missing.output and "Traceback" not in missing.output
    listed = runner.invoke(app, ["models", "--models-dir", str(stanza_dir)])
    assert listed.exit_code == 0, listed.output
    for word in ("tokenize", "depparse", "ilner_nocharlm", "MB", N.model_version("ur", stanza_dir)):
        assert word in listed.output


# ------------------------------------------------------------------------------------------- languages

def test_detect_language(seeds_dir):
    for p in seeds_dir.glob("*.txt"):
        assert N.detect_language(p.read_text(encoding="utf-8")) == "ur"
    assert N.detect_language("این یک متن فارسی است که برای آزمایش زبان نوشته شده است") == "fa"
    assert N.detect_language("هذا نص عربي قصير لاختبار تحديد اللغة في الأخبار") == "ar"
    assert N.detect_language("The president said on Monday that talks would continue.") == "en"
    assert N.detect_language("") is None and N.detect_language("12 ۔ 3") is None


# ------------------------------------------------------------------------------------------ NER labels

def test_ner_label_file_is_valid_and_covers_the_urdu_model(stanza_dir):
    mapping, fallback = N.load_ner_labels()
    assert fallback == "MISC"
    assert set(mapping.values()) <= set(N.TARGET_LABELS)
    for label, target in IL_NER.items():
        assert mapping[label] == target
    for label, target in {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION", "GPE": "LOCATION",
                          "DATE": "TIME", "CARDINAL": "NUMBER", "MISC": "MISC"}.items():
        assert N.map_ner_label(label) == target
    assert N.map_ner_label("nep") == "PERSON"
    # Every tag the installed model can emit is mapped explicitly (not by the fallback).
    nlp = N.get_pipeline("ur", stanza_dir)
    tags = nlp.processors["ner"].get_known_tags()
    assert set(tags) == set(IL_NER)
    assert all(t.upper() in mapping for t in tags)


def test_ner_label_file_validation_rejects_bad_files(tmp_path):
    good = yaml.safe_load(N.NER_LABELS_FILE.read_text(encoding="utf-8"))
    bad_target = json.loads(json.dumps(good))
    bad_target["schemes"]["il_ner"]["NEP"] = "HUMAN"
    conflict = json.loads(json.dumps(good))
    conflict["schemes"]["extra"] = {"LOC": "ORGANIZATION"}
    for i, data in enumerate([bad_target, conflict]):
        path = tmp_path / f"bad{i}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        with pytest.raises(ValueError):
            N.load_ner_labels(path)


# --------------------------------------------------------------------------------------------- offsets

def test_prepare_text_inserts_only_whitespace_and_maps_back():
    text = "سرخی بغیر نقطے\nانہوں نے کہا’امکانات‘ ہیں۔ " + " ".join(["لفظ"] * 300)
    prepared, origin = N.prepare_text(text)
    assert len(prepared) == len(origin)
    assert "".join(ch for ch, o in zip(prepared, origin) if o >= 0) == text
    assert all(prepared[i].isspace() for i, o in enumerate(origin) if o < 0)
    assert [o for o in origin if o >= 0] == list(range(len(text)))
    assert " ’ " in prepared and " ‘ " in prepared and "\n\n" in prepared
    long_run = prepared.split("۔", 1)[1]
    assert max(len(seg.split()) for seg in long_run.split("\n\n")) <= N.MAX_WORDS_PER_SENTENCE


@pytest.mark.slow
def test_a_full_stop_without_a_space_still_ends_the_sentence(stanza_dir):
    text = "صدر نے اجلاس سے خطاب کیا۔وزیر اعظم نے بھی بات کی؟ہاں!پھر سب چلے گئے۔ قیمت 3.5 فیصد بڑھی۔"
    art = {"article_id": "a1", "text": text, "language": "ur", "content_hash": "h"}
    out = N.parse_articles([art], models_dir=stanza_dir, torch_threads=1)
    firsts = [text[s["start_char"]:s["end_char"]].split()[0] for s in out.sentences]
    assert firsts[:2] == ["صدر", "وزیر"] and "پھر" in firsts and firsts[-1] == "قیمت", firsts
    assert all(text[t["start_char"]:t["end_char"]] == t["text"] for t in out.tokens)
    prepared, _ = N.prepare_text("کیا۔وزیر 3.5 www.x.pk")
    assert prepared == "کیا۔ وزیر 3.5 www.x.pk"


@pytest.mark.slow
def test_offsets_on_real_urdu(seeds_dir, counter_dir, stanza_dir):
    articles = _seed_articles(seeds_dir) + _counter_articles(counter_dir, 4)
    texts = {a["article_id"]: a["text"] for a in articles}
    out = N.parse_articles(articles, models_dir=stanza_dir, torch_threads=1)
    assert not out.failures
    assert {p["article_id"] for p in out.parses} == set(texts)
    assert len(out.tokens) > 1000
    prev: dict[tuple, int] = {}
    for t in out.tokens:
        text = texts[t["article_id"]]
        assert text[t["start_char"]:t["end_char"]] == t["text"] and t["text"].strip() == t["text"] != ""
        key = (t["article_id"],)
        assert t["start_char"] >= prev.get(key, 0)  # in order, never overlapping
        prev[key] = t["end_char"]
    for s in out.sentences:
        assert texts[s["article_id"]][s["start_char"]:s["end_char"]] == s["text"]
    for m in out.mentions:
        assert texts[m["article_id"]][m["start_char"]:m["end_char"]] == m["text"]
        assert m["mention_id"] == stable_id("m", m["article_id"], m["start_char"], m["end_char"])
        assert m["found_by"] == "ner" and m["entity_id"] is None and m["ner_label"] == IL_NER[m["model_label"]]
    # Quotes were spaced out: the quoted word is its own token and each quote mark is a token.
    seed0 = sorted(seeds_dir.glob("*.txt"))[0].stem
    words = [t["text"] for t in out.tokens if t["article_id"] == seed0]
    assert "امکانات" in words and "’" in words and "‘" in words and "’امکانات‘" not in words
    # The headline (no final punctuation, blank line after it) is sentence 0 on its own.
    first = next(s for s in out.sentences if s["article_id"] == seed0 and s["sentence_index"] == 0)
    assert first["text"] == texts[seed0].split("\n", 1)[0].strip()
    import schemas
    for table in ("sentences", "tokens", "mentions", "parses"):
        schemas.to_arrow(table, getattr(out, table))


@pytest.mark.slow
def test_failing_article_does_not_stop_the_batch(seeds_dir, stanza_dir):
    """A text Stanza cannot take (not a string: a broken upstream record) fails alone; the bulk call
    fails, the chunk falls back to one article at a time and the other articles are parsed."""
    good = _seed_articles(seeds_dir)[:2]
    bad = {"article_id": "broken", "text": None, "language": "ur", "content_hash": "h-broken"}
    out = N.parse_articles([good[0], bad, good[1]], models_dir=stanza_dir, torch_threads=1)
    assert [f["article_id"] for f in out.failures] == ["broken"]
    assert out.failures[0]["reason"] == "nlp_error" and "NoneType" in out.failures[0]["detail"]
    assert sorted(out.parsed_ids) == sorted(a["article_id"] for a in good)
    alone = N.parse_articles(good, models_dir=stanza_dir, torch_threads=1)
    assert [(t["article_id"], t["start_char"], t["upos"]) for t in alone.tokens] == \
        [(t["article_id"], t["start_char"], t["upos"]) for t in out.tokens]


def _retrained_copy(stanza_dir: Path, dest: Path) -> Path:
    """A copy of the models whose NER checkpoint is re-saved with one extra key: a different model file
    that still loads (what a retrained or updated model looks like to the cache)."""
    import torch

    shutil.copytree(stanza_dir, dest)
    path = dest / "ur" / "ner" / "ilner_nocharlm.pt"
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    ckpt["khabar_test_note"] = "re-saved"
    torch.save(ckpt, path)
    return dest


@pytest.mark.slow
def test_model_version_follows_file_content(stanza_dir, tmp_path):
    v = N.model_version("ur", stanza_dir)
    assert v.startswith("ur:") and v == N.model_version("urd", stanza_dir)
    assert N.model_version("ur", shutil.copytree(stanza_dir, tmp_path / "same")) == v
    assert N.model_version("ur", _retrained_copy(stanza_dir, tmp_path / "new")) != v


# ------------------------------------------------------------------------------------------ flow level

@pytest.mark.slow
def test_run_nlp_cache_skip_and_quarantine(seeds_dir, stanza_dir, tmp_path):
    from flows.nlp import run_nlp
    from khabar.config import Settings
    from tasks.load import load_run
    from warehouse import read_snapshot

    wh = tmp_path / "wh"
    settings = Settings(warehouse=wh, models_dir=stanza_dir, workers=1, nlp_batch_size=2)
    seeds = _seed_articles(seeds_dir)
    for a in seeds:
        a["language"] = None  # detected
    broken = {"article_id": "broken", "text": None, "language": "ur", "content_hash": "h-b",
              "source_path": "in.jsonl#7"}
    persian = {"article_id": "fa1", "text": "این یک متن فارسی است که برای آزمایش زبان نوشته شده است",
               "language": None, "content_hash": "h-fa"}
    articles = seeds + [broken, persian]

    first = run_nlp(articles, settings, "run1")
    seed_ids = sorted(a["article_id"] for a in seeds)
    assert sorted(first.parsed_ids) == seed_ids and first.cached_ids == []
    assert first.statuses["fa1"][0] == "skipped_language" and "khabar models download fa" in first.statuses["fa1"][1]
    assert first.statuses["broken"][0] == "failed" and first.statuses["broken"][1].startswith("nlp_error")
    assert all(first.statuses[i] == ("parsed", None) for i in seed_ids)
    assert first.model_versions == {"ur": N.model_version("ur", stanza_dir)}
    first.stage(wh, "run1")
    load_run(wh, "run1")
    q = read_snapshot(wh, "quarantine").to_pylist()
    assert [(r["source_path"], r["stage"], r["reason"]) for r in q] == [("in.jsonl#7", "nlp", "nlp_error")]
    assert read_snapshot(wh, "parses").num_rows == 3

    second = run_nlp(seeds, settings, "run2")
    assert second.parsed_ids == [] and sorted(second.cached_ids) == seed_ids
    assert second.fresh.tokens == [] and second.fresh.parses == []
    key = lambda r: (r["article_id"], r["sentence_index"], r["token_index"])  # noqa: E731
    assert sorted(second.tokens, key=key) == sorted(first.tokens, key=key)
    assert sorted(m["mention_id"] for m in second.mentions) == sorted(m["mention_id"] for m in first.mentions)
    assert len(second.sentences) == len(first.sentences)

    # Same text under a new article id (e.g. re-ingested from another file): served from the cache, re-keyed.
    moved = {**seeds[0], "article_id": "moved"}
    third = run_nlp([moved], settings, "run3")
    assert third.cached_ids == ["moved"] and {t["article_id"] for t in third.tokens} == {"moved"}

    # Different model files -> different model_version -> parsed again.
    new_models = _retrained_copy(stanza_dir, tmp_path / "models2")
    fourth = run_nlp(seeds, Settings(warehouse=wh, models_dir=new_models, workers=1, nlp_batch_size=2), "run4")
    assert sorted(fourth.parsed_ids) == seed_ids and fourth.cached_ids == []
    assert fourth.model_versions["ur"] != first.model_versions["ur"]


def test_run_nlp_without_models_is_a_clear_error(tmp_path):
    from flows.nlp import run_nlp
    from khabar.config import Settings

    settings = Settings(warehouse=tmp_path / "wh", models_dir=tmp_path / "empty", workers=1)
    with pytest.raises(N.ModelNotFoundError, match="khabar models download"):
        run_nlp([{"article_id": "a", "text": "کچھ", "language": "ur", "content_hash": "h"}], settings, "r")


def test_guided_chunks_keep_order_and_shrink_towards_the_end():
    from flows.nlp import guided_chunks

    lengths = [900, 100, 100, 100, 500, 400, 50] * 20
    articles = [{"article_id": f"a{i}", "text": "x" * n} for i, n in enumerate(lengths)]
    chunks = guided_chunks(articles, lanes=2, max_items=64, min_items=4)
    assert [a for c in chunks for a in c] == articles  # every article once, in input order
    assert all(4 <= len(c) <= 64 for c in chunks[:-1]) and 1 <= len(chunks[-1]) <= 64
    chars = [sum(len(a["text"]) for a in c) for c in chunks]
    total = sum(lengths)
    assert abs(chars[0] - total / 4) <= 900  # the first quarter of the work (2 lanes x 2), within one article
    assert chars[-1] < chars[0] / 4  # the tail is small, so the lanes finish together
    assert guided_chunks(articles, lanes=2, max_items=64, min_items=4) == chunks  # deterministic
    assert all(len(c) <= 10 for c in guided_chunks(articles, lanes=1, max_items=10))  # the cap wins
    assert [len(c) for c in guided_chunks(articles[:3], lanes=4, max_items=1)] == [1, 1, 1]
    assert guided_chunks([], lanes=2, max_items=8) == []


def test_pool_workers_get_a_queued_chunk_only_while_much_text_is_left():
    from flows.nlp import pool_chunks_wanted

    assert pool_chunks_wanted(0, 10_000, 100) == 0  # no worker ready yet: nothing for the pool
    assert pool_chunks_wanted(1, 10_000, 2_000) == 2  # early: one parsing, one queued
    assert pool_chunks_wanted(3, 10_000, 2_000) == 6
    assert pool_chunks_wanted(1, 1_500, 2_000) == 1  # the end: handed out one at a time
    assert pool_chunks_wanted(2, 0, 0) == 2


def test_use_gpu_without_a_gpu_parses_on_the_cpu_and_says_so(stanza_dir, caplog):
    """Settings.use_gpu (KHABAR_USE_GPU / --use-gpu) asks for Stanza's use_gpu; on a machine torch sees no GPU on,
    the parse runs on the CPU with one log line, and gives the rows it gives without the setting."""
    import logging

    if N.gpu_present():
        pytest.skip("this machine has a GPU: the CPU fallback is not what runs here")
    text = "پاکستان اور چین نے تجارت کے معاہدے پر دستخط کیے۔"
    art = {"article_id": "gpu1", "text": text, "language": "ur", "content_hash": "gpu1"}
    saved = dict(N._DEVICE)
    try:
        N._DEVICE.clear()
        N._DEVICE["gpu"] = False
        with caplog.at_level(logging.INFO, logger="khabar.nlp"):
            on_gpu = N.parse_articles([art], models_dir=stanza_dir, torch_threads=1, use_gpu=True)
        assert "no GPU" in caplog.text and N._DEVICE == {"asked": True, "gpu": False}
        on_cpu = N.parse_articles([art], models_dir=stanza_dir, torch_threads=1, use_gpu=False)
        assert [t["text"] for t in on_gpu.tokens] == [t["text"] for t in on_cpu.tokens] and on_cpu.tokens
    finally:
        N._DEVICE.clear()
        N._DEVICE.update(saved)


def test_use_gpu_is_a_checked_run_setting():
    from khabar.config import Settings, SettingsError

    assert Settings.from_flags(use_gpu="yes").use_gpu is True and Settings.from_flags().use_gpu is False
    with pytest.raises(SettingsError, match="KHABAR_USE_GPU.*not true or false"):
        Settings.from_flags(use_gpu="maybe")


LOAD_AND_PARSE = """
import hashlib, json, sys
from pathlib import Path
import stanza
from tasks import nlp
stanza_loaded = {load!r}
models = Path(sys.argv[1])
if stanza_loaded:  # Stanza's own load: each model gets its torch optimizer
    p = stanza.Pipeline('ur', dir=str(models), processors=nlp.pipeline_processors('ur', models),
                        download_method=None, logging_level='WARN')
else:
    p = nlp.get_pipeline('ur', models, 1)
docs = p.bulk_process([stanza.Document([], text=t) for t in json.loads(sys.argv[2])])
rows = [[(w.text, w.upos, w.lemma, w.head, w.deprel) for s in d.sentences for w in s.words] + [e.text for e in d.ents]
        for d in docs]
print(json.dumps({{"dynamo": "torch._dynamo" in sys.modules, "rows": rows}}))
"""


def test_pipeline_loads_without_training_optimizers_and_parses_the_same(stanza_dir, seeds_dir):
    """get_pipeline gives Stanza's models stand-ins for their training optimizers: torch._dynamo (imported by the
    first torch optimizer, ~1.2 s) is never imported, and the parse equals that of Stanza's own load."""
    import subprocess
    import sys

    texts = json.dumps([p.read_text(encoding="utf-8")[:1500] for p in sorted(seeds_dir.glob("*.txt"))[:2]])
    out = {}
    for own in (False, True):
        done = subprocess.run([sys.executable, "-c", LOAD_AND_PARSE.format(load=own), str(stanza_dir), texts],
                              capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent, check=True)
        out[own] = json.loads(done.stdout.strip().splitlines()[-1])
    assert out[False]["dynamo"] is False and out[True]["dynamo"] is True  # the stand-ins are what saves the import
    assert out[False]["rows"] == out[True]["rows"] and len(out[False]["rows"][0]) > 50
