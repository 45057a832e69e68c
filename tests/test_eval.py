"""`khabar eval`: gold format validation, scoring, and the command on a small warehouse built by the loader."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from khabar.cli_eval import (GoldFormatError, Score, actor_matches, entity_matches, load_gold, match_count,
                             score_article)
from tasks.cameo import load_cameo, lookup

REPO = Path(__file__).resolve().parent.parent
GOLD_DIR = REPO / "eval" / "gold"
CAMEO = load_cameo()
QUAD = lambda c: lookup(c, CAMEO).quad_class  # noqa: E731


def ev(a1, a2, code, n1=None, n2=None):
    return {"actor1_code": a1, "actor1_name": n1, "actor2_code": a2, "actor2_name": n2, "event_code": code,
            "quad_class": QUAD(code)}


def test_score_properties():
    s = Score(tp=2, n_pred=4, n_gold=5)
    assert (s.precision, s.recall) == (0.5, 0.4)
    assert round(s.f1, 4) == round(2 * 0.5 * 0.4 / 0.9, 4)
    assert Score().precision == 0.0 and Score().recall == 0.0


def test_matching_is_one_to_one():
    tp, missed, spurious = match_count([1, 1, 2], [1, 3], lambda g, p: g == p)
    assert (tp, missed, spurious) == (1, [1, 2], [3])


def test_actor_and_entity_matching():
    assert actor_matches("RUSGOV", "RUSGOV", "Vladimir Putin")
    assert actor_matches("Edward Snowden", None, "edward snowden")
    assert actor_matches(None, None, None) and not actor_matches(None, "USA", "United States")
    assert not actor_matches("RUS", "RUSGOV", "Russia")
    assert entity_matches({"name": "X", "wikidata": "Q7747"}, {"wikidata_id": "Q7747", "canonical_name": "Putin"})
    assert not entity_matches({"name": "Putin", "wikidata": "Q1"}, {"wikidata_id": "Q7747", "canonical_name": "Putin"})
    assert entity_matches({"name": "Kiev"}, {"canonical_name": "Kyiv", "aliases": ["Kiev"]})


def test_score_article_exact_vs_quad():
    gold = {"entities": [{"name": "Russia"}],
            "events": [{"actor1": "PRKGOV", "actor2": "RUSGOV", "code": "036"},
                       {"actor1": "JPN", "actor2": None, "code": "111"}]}
    pred = [ev("PRKGOV", "RUSGOV", "036"), ev("JPN", None, "130"), ev("USA", "IRN", "190")]
    res = score_article("a", "id", gold, [{"canonical_name": "Russia"}, {"canonical_name": "Mars"}], pred, QUAD)
    assert (res.entities.tp, res.entities.n_pred, res.entities.n_gold) == (1, 2, 1)
    assert (res.events_exact.tp, res.events_exact.n_pred, res.events_exact.n_gold) == (1, 3, 2)
    assert res.events_quad.tp == 2  # 130 and 111 are both verbal conflict
    assert [g["code"] for g in res.missed_events] == ["111"]


def test_bad_gold_is_rejected(tmp_path: Path):
    bad = tmp_path / "g.json"
    bad.write_text(json.dumps({"version": 1, "articles": [{"events": []}]}), encoding="utf-8")
    with pytest.raises(GoldFormatError, match="source"):
        load_gold(bad)
    bad.write_text(json.dumps({"version": 1, "articles": [{"source": "x", "events": [{"actor1": "A", "code": 57}]}]}),
                   encoding="utf-8")
    with pytest.raises(GoldFormatError, match="actor1, actor2 and code"):
        load_gold(bad)


@pytest.mark.parametrize("name", ["seeds.json", "counter.json"])
def test_dev_gold_files_are_valid(name, seeds_dir, counter_dir):
    arts = load_gold(GOLD_DIR / name)
    assert arts
    record_ids = {json.loads(line)["id"] for line in (counter_dir / "docs.jsonl").open(encoding="utf-8")}
    for art in arts:
        if art.get("source"):
            assert (seeds_dir / art["source"]).exists(), art["source"]
        if art.get("record_id"):
            assert art["record_id"] in record_ids
        for e in art["events"]:
            lookup(e["code"], CAMEO)  # raises on an unknown code
            assert e.get("note"), "every gold event says what was read"


def _warehouse(tmp_path: Path) -> Path:
    from tasks.load import init_warehouse, load_run, stage
    wh = tmp_path / "wh"
    init_warehouse(wh)
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    stage(wh, "r1", "articles", [{"article_id": "A1", "source_path": "/data/in/000_x.txt", "text": "t", "raw_text": "t",
                                  "content_hash": "h", "run_id": "r1", "ingested_at": now}])
    stage(wh, "r1", "entities", [
        {"entity_id": "Q7747", "canonical_name": "Vladimir Putin", "entity_type": "PERSON", "wikidata_id": "Q7747",
         "actor_code": "RUSGOV"},
        {"entity_id": "Q423", "canonical_name": "North Korea", "entity_type": "COUNTRY", "actor_code": "PRK"}])
    stage(wh, "r1", "mentions", [
        {"mention_id": f"m{i}", "article_id": "A1", "start_char": i, "end_char": i + 1, "text": "x", "entity_id": e}
        for i, e in enumerate(["Q7747", "Q423"])])
    base = {"article_id": "A1", "quad_class": 1, "event_code": "036", "event_root_code": "03", "is_negated": False}
    stage(wh, "r1", "events", [
        {**base, "event_id": "e1", "actor1_entity_id": "Q7747", "actor1_code": "RUSGOV", "actor2_entity_id": "Q423",
         "actor2_code": "PRK"},
        {**base, "event_id": "e2", "actor1_entity_id": "Q423", "actor1_code": "PRK", "event_code": "057",
         "event_root_code": "05", "is_negated": True}])
    load_run(wh, "r1")
    return wh


def test_eval_command(tmp_path: Path):
    from khabar.cli import app
    wh = _warehouse(tmp_path)
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps({"version": 1, "articles": [
        {"source": "000_x.txt", "entities": [{"name": "Vladimir Putin", "wikidata": "Q7747"}, {"name": "Japan"}],
         "events": [{"actor1": "RUSGOV", "actor2": "PRK", "code": "036"},
                    {"actor1": "PRK", "actor2": None, "code": "057"}]},
        {"source": "not_there.txt", "entities": [], "events": [{"actor1": "USA", "actor2": None, "code": "010"}]},
    ]}), encoding="utf-8")
    res = CliRunner().invoke(app, ["eval", str(gold), "--warehouse", str(wh), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    # the negated 057 is not a prediction; the missing article counts against recall
    assert out["totals"]["events_exact"] == {"tp": 1, "predicted": 1, "gold": 3, "precision": 1.0,
                                             "recall": 0.333, "f1": 0.5}
    assert out["totals"]["entities"]["tp"] == 1 and out["totals"]["entities"]["gold"] == 2
    assert out["articles"][1]["article_id"] is None
    res = CliRunner().invoke(app, ["eval", str(gold), "--warehouse", str(tmp_path / "nope")])
    assert res.exit_code == 2
