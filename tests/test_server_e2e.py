"""Monitoring: runs against a real Prefect server show their stages, counts, artifacts and failures.

The server is a real `prefect server start --host 127.0.0.1 --port N` (tests/helpers_server.py), the runs are
real `khabar run` subprocesses with PREFECT_API_URL pointing at it, and everything is read back through the
Prefect client, as the UI would.
"""
from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import duckdb
import pytest

from flows.report import ARTIFACT_KEYS, build_report, events_by_quadclass, top_actors
from warehouse import db_path

BASE_STAGES = {"ingest", "clean", "dedup", "stage-tables", "load"}


# ---------------------------------------------------------------- the report (plain function)

def _tables() -> dict[str, list[dict]]:
    return {
        "source_files": [{"file_hash": "h1"}, {"file_hash": "h2"}, {"file_hash": "h3"}],
        "articles": [{"article_id": "a1", "source_path": "/in/1.txt"},
                     {"article_id": "a2", "source_path": "/in/2.txt", "duplicate_of": "a1", "duplicate_score": 0.91}],
        "quarantine": [{"source_path": "/in/3.txt", "stage": "ingest", "reason": "binary", "detail": "NUL | bytes"}],
        "mentions": [{"article_id": "a1", "entity_id": "Q159"}, {"article_id": "a1", "entity_id": None},
                     {"article_id": "a1", "entity_id": "Q843"}],
        "entities": [{"entity_id": "Q159", "canonical_name": "Russia", "entity_type": "COUNTRY", "actor_code": "RUS"},
                     {"entity_id": "Q843", "canonical_name": "Pakistan", "entity_type": "COUNTRY",
                      "actor_code": "PAK"}],
        "events": [{"quad_class": 1, "actor1_entity_id": "Q159", "actor2_entity_id": "Q843"},
                   {"quad_class": 4, "actor1_entity_id": "Q159", "actor2_entity_id": None},
                   {"quad_class": 1, "actor1_entity_id": "Q843", "actor2_entity_id": "Q159"}],
    }


def test_report_has_every_section():
    summary = {"run_id": "r1", "warehouse": "/wh", "inputs": ["/in"], "until": "load",
               "counts": {"documents": 3, "articles": 2}, "stage_seconds": {"ingest": 0.5, "nlp": 12.25}}
    rep = build_report(summary, _tables())
    overview = {r["what"]: r["count"] for r in rep["overview"]}
    assert overview["files read"] == 3 and overview["documents in"] == 3 and overview["duplicates"] == 1
    assert overview["quarantined"] == 1 and overview["mentions"] == 3 and overview["mentions linked"] == 2
    assert rep["duplicates"] == [{"article_id": "a2", "source_path": "/in/2.txt", "duplicate_of": "a1", "score": 0.91}]
    assert rep["quarantine_reasons"] == {"binary": 1}
    assert {r["quad_class"]: r["events"] for r in rep["events_by_quadclass"]} == {1: 2, 2: 0, 3: 0, 4: 1}
    assert [(a["name"], a["events"]) for a in rep["top_actors"]] == [("Russia", 3), ("Pakistan", 2)]
    assert rep["stage_times"] == [{"stage": "ingest", "seconds": 0.5}, {"stage": "nlp", "seconds": 12.25}]
    md = rep["markdown"]
    for heading in ("## In and out", "## Duplicates (1)", "## Quarantined (1)", "## Events by QuadClass",
                    "## Top actors", "## Time per stage (total 12.75 s)"):
        assert heading in md
    assert "NUL \\| bytes" in md  # a pipe in a value does not break the Markdown table


def test_top_actors_fall_back_to_mentions_without_events():
    tables = _tables()
    tables["events"] = []
    assert [(a["name"], a["mentions"]) for a in top_actors(tables)] == [("Russia", 1), ("Pakistan", 1)]  # ties: by entity_id
    assert sum(r["events"] for r in events_by_quadclass(tables)) == 0


def test_progress_display_counts_every_stage_and_estimates_what_is_left(tmp_path: Path):
    from rich.console import Console

    from flows import progress

    now = [100.0]
    console = Console(record=True, width=120, force_terminal=False)
    history = tmp_path / progress.HISTORY_FILE
    display = progress.ProgressDisplay(progress.planned_stages("nlp"), console, history_path=history,
                                       clock=lambda: now[0])
    assert display.stages == ["ingest", "clean", "dedup", "nlp", "load"]
    with display:
        assert display.eta() is None  # documents not known yet
        now[0] += 1
        progress.report("ingest", {"seconds": 1.0, "documents": 10, "quarantined": 1})
        expected_rest = sum(progress.expected_seconds(s, 10, {}) for s in ("clean", "dedup", "nlp", "load"))
        assert display.eta() == pytest.approx(expected_rest)
        progress.report("clean", {"seconds": 0.5, "articles": 10})
        progress.report("dedup", {"seconds": 0.5, "duplicates": 2})
        now[0] += 30
        progress.report_items("nlp", 1, 4)  # a quarter of NLP in 30 s: 90 s more, then the load
        assert display.eta() == pytest.approx(90 + progress.expected_seconds("load", 10, {}))
        assert display.current() == "nlp" and 0 < display.percent() < 100
        progress.report("nlp", {"seconds": 120.0, "parsed": 8})
    text = console.export_text()
    assert "ingest  documents 10, quarantined 1  (1.0s)" in text and "clean   articles 10" in text
    assert display.eta() == 0.0 and display._progress.tasks[0].completed == 100.0
    assert display not in progress._listeners
    # The timings are kept for the next run's ETA: NLP for 10 documents now expected to take ~120 s.
    saved = progress.load_history(history)
    assert saved["nlp"] == [[10.0, 120.0]]
    assert progress.expected_seconds("nlp", 10, saved) == pytest.approx(120.0)
    saved["nlp"].append([20.0, 200.0])  # two sizes: a line, 40 s fixed + 8 s per document
    assert progress.expected_seconds("nlp", 30, saved) == pytest.approx(280.0)


# ---------------------------------------------------------------- against a real server

def _flow_run_id(warehouse: Path) -> UUID:
    con = duckdb.connect(str(db_path(warehouse)), read_only=True)
    try:
        (value,), = con.execute("SELECT flow_run_id FROM runs").fetchall()
    finally:
        con.close()
    return UUID(value)


def _task_runs(client, flow_run_id: UUID) -> dict[str, object]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return {r.name.rsplit("-", 1)[0]: r for r in runs}


def _artifacts(client, flow_run_id: UUID) -> dict[str, object]:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    arts = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return {a.key: a for a in arts}


def _logs(client, flow_run_id: UUID) -> list[str]:
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    return [log.message for log in client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))]


@pytest.mark.slow
def test_run_against_a_real_server_is_visible_stage_by_stage(tmp_path: Path, seeds_dir: Path):
    from helpers_server import run_khabar, shared_server

    server = shared_server()
    wh = tmp_path / "wh"
    rc, out, err = run_khabar(["run", str(seeds_dir), "-w", str(wh), "--until", "dedup", "--json"], server.env())
    assert rc == 0, out + err
    summary = json.loads(out)  # --json: stdout is exactly one JSON document
    assert summary["counts"]["articles"] == 3 and summary["totals"]["articles"] == 3
    assert set(summary["stage_seconds"]) == {"ingest", "clean", "dedup", "load"}

    flow_run_id = _flow_run_id(wh)
    with server.client() as client:
        flow_run = client.read_flow_run(flow_run_id)
        assert flow_run.state.is_completed() and flow_run.state.type.value == "COMPLETED"
        assert flow_run.parameters["until"] == "dedup"
        tasks = _task_runs(client, flow_run_id)
        assert set(tasks) == BASE_STAGES
        assert all(t.state.is_completed() for t in tasks.values())
        artifacts = _artifacts(client, flow_run_id)
        assert set(ARTIFACT_KEYS) <= set(artifacts)
        report = artifacts["khabar-run-summary"].data
        assert f"khabar run `{summary['run_id']}`" in report and "## Time per stage" in report
        counts = {row["what"]: row["count"] for row in json.loads(artifacts["khabar-run-counts"].data)}
        assert counts["articles"] == 3 and counts["documents"] == 3
        times = {row["stage"] for row in json.loads(artifacts["khabar-stage-times"].data)}
        assert times == {"ingest", "clean", "dedup", "load"}
        logs = _logs(client, flow_run_id)
    for line in ("ingest: 3 files, 3 documents, 0 quarantined", "clean: 3 articles", "dedup: 3 canonical, 0 duplicates",
                 "stage-tables: staged", "load: inserted"):
        assert any(m.startswith(line) for m in logs), (line, logs)


@pytest.mark.slow
def test_a_failing_stage_is_failed_in_the_ui_with_its_exception_after_retries(tmp_path: Path, seeds_dir: Path):
    """A real I/O fault: the warehouse's staging folder is a file, so staging cannot write (every retry)."""
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    from helpers_server import run_khabar, shared_server

    server = shared_server()
    wh = tmp_path / "wh"
    wh.mkdir()
    (wh / "staging").write_text("not a folder", encoding="utf-8")
    rc, out, err = run_khabar(["run", str(seeds_dir), "-w", str(wh), "--until", "dedup"], server.env())
    assert rc == 1, out + err
    assert "run failed" in err

    with server.client() as client:
        runs = [r for r in client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["khabar-etl"])))
                if (r.parameters.get("settings") or {}).get("warehouse") == str(wh)]
        assert len(runs) == 1
        flow_run = runs[0]
        assert flow_run.state.is_failed()
        tasks = _task_runs(client, flow_run.id)
        assert {"ingest", "clean", "dedup"} <= set(tasks) and "load" not in tasks
        assert all(tasks[s].state.is_completed() for s in ("ingest", "clean", "dedup"))
        failed = tasks["stage-tables"]
        assert failed.state.is_failed()
        assert "NotADirectoryError" in failed.state.message and "staging" in failed.state.message
        assert failed.run_count == 3  # retried twice (with backoff) before giving up
        logs = "\n".join(_logs(client, flow_run.id))
    assert "Retry" in logs or "retry" in logs


@pytest.mark.slow
def test_full_pipeline_run_shows_every_stage_and_the_event_report(tmp_path: Path, seeds_dir: Path):
    from helpers_server import count, run_khabar, shared_server

    server = shared_server()
    wh = tmp_path / "wh"
    rc, out, err = run_khabar(["run", str(seeds_dir), "-w", str(wh), "--workers", "1", "--json"], server.env())
    assert rc == 0, out + err
    summary = json.loads(out)
    assert set(summary["stage_seconds"]) == {"ingest", "clean", "dedup", "nlp", "link", "events", "load"}
    flow_run_id = _flow_run_id(wh)
    with server.client() as client:
        assert client.read_flow_run(flow_run_id).state.is_completed()
        tasks = _task_runs(client, flow_run_id)
        assert BASE_STAGES | {"nlp-extract"} <= set(tasks)  # one task parses a chunk, then links and codes it
        assert all(t.state.is_completed() for t in tasks.values())
        artifacts = _artifacts(client, flow_run_id)
        quads = json.loads(artifacts["khabar-events-by-quadclass"].data)
        actors = json.loads(artifacts["khabar-top-actors"].data)
        report = artifacts["khabar-run-summary"].data
        link, timeline = artifacts["khabar-report"], artifacts["khabar-timeline"]
    # the run links the warehouse's report, written into the warehouse folder, and shows a timeline image
    assert link.type == "markdown" and (wh / "report.html").resolve().as_uri() in link.data
    assert "khabar report" in (wh / "report.html").read_text(encoding="utf-8")
    assert timeline.data.startswith("data:image/png;base64,")
    assert sum(row["events"] for row in quads) == count(wh, "events") == summary["counts"]["events"]
    assert actors and all(row.get("name") for row in actors)
    assert f"| mentions | {count(wh, 'mentions')} |" in report
