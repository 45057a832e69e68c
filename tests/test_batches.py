"""Micro-batches: the flow reads its inputs as a stream and stages and loads each batch of settings.batch_size
documents on its own (real flow, ephemeral Prefect API, real DuckDB; no mocks)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from flows.pipeline import etl
from helpers_server import count, duplicate_keys, table_rows, warehouse_content
from khabar.config import Settings, SettingsError
from tasks.ingest import FileDone, RawDocument, Rejection, batches, ingest_paths, iter_ingest


def _doc(name: str) -> RawDocument:
    return RawDocument(source_path=name, raw_text=name, encoding="utf_8")


def test_batches_cut_the_stream_and_list_a_file_with_its_last_record():
    a, b = Path("/in/a.jsonl"), Path("/in/b.txt")
    stream = [_doc("a#1"), _doc("a#2"), Rejection("a#3", "bad_json", "x"), _doc("a#4"), FileDone(a),
              Rejection(str(b), "empty", "0 bytes"), FileDone(b)]
    got = list(batches(iter(stream), 2))
    assert [[d.source_path for d in g.docs] for g in got] == [["a#1", "a#2"], ["a#4"]]
    assert [[r.source_path for r in g.rejections] for g in got] == [["a#3"], [str(b)]]
    assert [g.files for g in got] == [[], [a, b]]  # a spans both batches: recorded once all of it is in
    assert [(g.number, g.last) for g in got] == [(1, False), (2, True)]
    # a file ending right at a batch's end goes with that batch; nothing at all is still one (empty) batch
    assert [g.files for g in batches(iter([_doc("x"), FileDone(a), _doc("y")]), 1)] == [[a], []]
    assert [(g.docs, g.last) for g in batches(iter([]), 5)] == [([], True)]


def test_the_stream_is_what_ingest_paths_returns(seeds_dir: Path, tmp_path: Path):
    (tmp_path / "bad.jsonl").write_text('{"text": "ایک"}\nnot json\n', encoding="utf-8")
    items = list(iter_ingest([seeds_dir, tmp_path], max_bytes=10**6))
    assert sum(isinstance(i, FileDone) for i in items) == 4
    docs, rejects = ingest_paths([seeds_dir, tmp_path], max_bytes=10**6)
    assert [i for i in items if isinstance(i, RawDocument)] == docs and len(docs) == 4
    assert [i for i in items if isinstance(i, Rejection)] == rejects and rejects[0].reason == "bad_json"


@pytest.mark.parametrize("value", ["0", "abc", "-5"])
def test_batch_size_is_validated_with_its_names(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv("KHABAR_BATCH_SIZE", value)
    with pytest.raises(SettingsError, match="--batch-size / KHABAR_BATCH_SIZE"):
        Settings.from_env()


def _inputs(folder: Path, seeds_dir: Path, counter_dir: Path) -> Path:
    """Seeds 1-3, then a JSON-lines file: a copy of seed 1 (a duplicate across batches) and a COUNTER article."""
    folder.mkdir()
    seeds = sorted(seeds_dir.glob("*.txt"))
    for n, src in enumerate(seeds, 1):
        shutil.copy(src, folder / f"{n}.txt")
    other = json.loads(next(open(counter_dir / "docs.jsonl", encoding="utf-8")))
    records = [{"id": "copy", "text": seeds[0].read_text(encoding="utf-8")},
               {"id": "other", "text": other["text"], "title": other.get("title")}]
    (folder / "4.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                    encoding="utf-8")
    return folder


@pytest.mark.slow
def test_batches_of_two_load_the_same_rows_as_one_batch(seeds_dir: Path, counter_dir: Path, stanza_dir: Path,
                                                        tmp_path: Path):
    """Full pipeline (Stanza, linking, events): 5 articles in batches of 2 (seed 1's copy in batch 2, the JSON-lines
    file across batches 2 and 3) give the warehouse one batch gives, with the copy marked across batches."""
    inputs = _inputs(tmp_path / "in", seeds_dir, counter_dir)
    base = {"models_dir": str(stanza_dir), "workers": 1}
    one, small = tmp_path / "one", tmp_path / "small"
    whole = etl([str(inputs)], settings={**base, "warehouse": str(one)})
    split = etl([str(inputs)], settings={**base, "warehouse": str(small), "batch_size": 2})
    assert whole["counts"] == split["counts"] and split["counts"]["duplicates"] == 1
    assert split["counts"]["articles"] == 5 and split["counts"]["events"] > 0
    for table in ("articles", "mentions", "events", "sentences", "relations", "source_files"):
        assert table_rows(small, table) == table_rows(one, table), table
    assert warehouse_content(small) == warehouse_content(one)
    dup_of = [r for r in _query(small, "SELECT a.source_path, c.source_path FROM articles a "
                                       "JOIN articles c ON a.duplicate_of = c.article_id")]
    assert [(Path(a).name, Path(c).name) for a, c in dup_of] == [("4.jsonl#copy", "1.txt")]
    runs = _query(small, "SELECT counts FROM runs")
    assert len(runs) == 1 and json.loads(runs[0][0])["batches"] == 3 and json.loads(runs[0][0])["complete"]


def _query(wh: Path, sql: str) -> list[tuple]:
    import duckdb

    from warehouse import db_path

    con = duckdb.connect(str(db_path(wh)), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_a_crash_in_a_later_batch_keeps_the_earlier_ones_and_a_rerun_completes(seeds_dir: Path, counter_dir: Path,
                                                                            tmp_path: Path):
    """Batch 3 holds a binary file to quarantine, and the warehouse's quarantine store is a file (a real I/O
    fault): batch 3 fails after batches 1 and 2 loaded. The JSON-lines file whose last record was in batch 3 is not
    recorded in source_files (the inbox takes it again); the re-run loads the rest, nothing twice."""
    inputs = _inputs(tmp_path / "in", seeds_dir, counter_dir)
    (inputs / "5-binary.txt").write_bytes(bytes(range(256)) * 8)
    reference = tmp_path / "reference"
    etl([str(inputs)], settings={"warehouse": str(reference)}, until="dedup")
    wh = tmp_path / "wh"
    wh.mkdir()
    (wh / "quarantine").write_text("not a folder", encoding="utf-8")
    settings = {"warehouse": str(wh), "batch_size": 2}
    with pytest.raises(Exception):
        etl([str(inputs)], settings=settings, until="dedup")
    assert count(wh, "articles") == 4 and count(wh, "signatures") == 3  # batches 1 and 2 (with seed 1's copy)
    assert sorted(Path(r[1]).name for r in table_rows(wh, "source_files")) == ["1.txt", "2.txt", "3.txt"]
    runs = _query(wh, "SELECT counts FROM runs")
    assert len(runs) == 1 and json.loads(runs[0][0])["batches"] == 2 and not json.loads(runs[0][0])["complete"]
    (wh / "quarantine").unlink()
    etl([str(inputs)], settings=settings, until="dedup")
    assert set(duplicate_keys(wh).values()) == {0}
    assert warehouse_content(wh) == warehouse_content(reference)
    assert count(wh, "runs") == 2


def test_an_interrupt_after_a_batch_loaded_says_what_was_kept(monkeypatch: pytest.MonkeyPatch):
    """Ctrl-C's line (khabar.interrupt.RunGuard, fed by the flow's progress reports) after batch 1 of a run loaded."""
    import signal

    from khabar import interrupt

    monkeypatch.setattr(interrupt, "terminate", lambda processes: None)
    said, codes = [], []
    guard = interrupt.RunGuard(["ingest", "clean", "load"], say=said.append, exit=codes.append)
    for stage, info in (("ingest", {}), ("clean", {}), ("load", {"batch": 1, "_more": True}), ("ingest", {})):
        guard(stage, {"seconds": 0.1, **info})
    guard.stop(signal.SIGINT)
    assert codes == [interrupt.EXIT_INTERRUPTED]
    assert said == ["interrupted (SIGINT) during clean of batch 2: the 1 batch(es) before it were loaded, this one "
                    "was not; run the same command again to finish (nothing is loaded twice)"]


def test_the_run_report_adds_up_over_batches_without_keeping_rows():
    from flows.pipeline import RunTally
    from flows.report import build_report
    from tasks.ingest import IngestBatch

    ent = [{"entity_id": "Q1", "canonical_name": "A"}, {"entity_id": "Q2", "canonical_name": "B"}]
    tally = RunTally()
    for n, (arts, mentions, events) in enumerate([
            ([{"article_id": "a1", "source_path": "x"}], [{"entity_id": "Q1"}, {"entity_id": None}],
             [{"actor1_entity_id": "Q1", "actor2_entity_id": "Q2", "quad_class": 1}]),
            ([{"article_id": "a2", "source_path": "y", "duplicate_of": "a1", "duplicate_score": 1.0}],
             [{"entity_id": "Q1"}], [{"actor1_entity_id": "Q1", "actor2_entity_id": "Q2", "quad_class": 1}])], 1):
        tables = {"articles": arts, "quarantine": [], "source_files": [{}], "mentions": mentions, "events": events,
                  "entities": ent if n == 1 else []}
        tally.add(IngestBatch(n, [None], [], [], last=n == 2), tables)
    report = build_report({"counts": tally.summary_counts()}, tally.report_tables())
    overview = {r["what"]: r["count"] for r in report["overview"]}
    assert overview == {"files read": 2, "documents in": 2, "articles": 2, "duplicates": 1, "quarantined": 0,
                        "mentions": 3, "mentions linked": 2, "entities": 2, "events": 2, "relations": 0}
    assert [(a["name"], a["events"]) for a in report["top_actors"]] == [("A", 2), ("B", 2)]
    assert report["events_by_quadclass"][0]["events"] == 2 and len(report["duplicates"]) == 1
