"""Operating khabar as Prefect runs: typed settings form, retry policy, time limits, failure notices, logs and
progress in the UI (flows/ops.py).

Real Prefect runs throughout: the ephemeral API in this process, or a real `prefect server` on 127.0.0.1
(tests/helpers_server.py) with `khabar` subprocesses. A hang is real too: another process holds the warehouse's
load lock. Notices go to a real HTTP listener on 127.0.0.1.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from flows import ops
from khabar.config import Settings, SettingsError


# ---------------------------------------------------------------- helpers

class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.messages.append({"path": self.path, "type": self.headers.get("Content-Type"),
                                     "body": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:  # keep the test output clean
        pass


@pytest.fixture
def webhook() -> Iterator[ThreadingHTTPServer]:
    """A loopback HTTP listener; ``.messages`` collects every POST, ``.url`` is where to send them."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.messages = []
    server.url = f"http://127.0.0.1:{server.server_port}/khabar-hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@contextmanager
def load_lock_held_elsewhere(warehouse: Path) -> Iterator[None]:
    """Another process holds the warehouse's writer lock (as a stuck run would): our loads wait on it."""
    from warehouse import LOCK_NAME

    warehouse.mkdir(parents=True, exist_ok=True)
    code = ("import sys; from filelock import FileLock; lock = FileLock(sys.argv[1]); lock.acquire(); "
            "print('held', flush=True); sys.stdin.read()")
    holder = subprocess.Popen([sys.executable, "-c", code, str(warehouse / LOCK_NAME)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.stdin.close()  # the holder exits, and the lock goes with it
        holder.wait(timeout=30)


def _task_runs(flow_run_id) -> dict[str, object]:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return {r.name.rsplit("-", 1)[0]: r for r in runs}


def _count(warehouse: Path, table: str) -> int:
    import duckdb

    from warehouse import db_path

    con = duckdb.connect(str(db_path(warehouse)), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


# ---------------------------------------------------------------- 1. typed settings (the UI form)

def test_the_flow_settings_parameter_is_a_form_with_defaults_ranges_and_descriptions():
    from flows.pipeline import etl

    schema = etl.parameters.model_dump()
    assert {"$ref": "#/definitions/Settings"} in schema["properties"]["settings"]["anyOf"]
    fields = schema["definitions"]["Settings"]["properties"]
    assert set(fields) == set(Settings.model_fields)
    assert all(f.get("description") for f in fields.values())
    assert fields["dedup_threshold"]["default"] == 0.4 and fields["dedup_threshold"]["maximum"] == 1.0
    assert fields["workers"]["minimum"] == 1 and "KHABAR_WORKERS" in fields["workers"]["description"]
    assert "--webhook-url / KHABAR_WEBHOOK_URL" in fields["webhook_url"]["description"]
    assert "--flow-timeout / KHABAR_FLOW_TIMEOUT_SECONDS" in fields["flow_timeout_seconds"]["description"]


def test_settings_come_from_defaults_then_environment_then_overrides(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("KHABAR_WORKERS", "3")
    monkeypatch.setenv("KHABAR_STAGE_TIMEOUT_SECONDS", "90")
    monkeypatch.setenv("KHABAR_FLOW_TIMEOUT_SECONDS", "")  # empty: no limit
    settings = Settings.from_env(warehouse=tmp_path / "wh", workers=None, webhook_url="http://127.0.0.1:9/x")
    assert settings.workers == 3 and settings.stage_timeout_seconds == 90.0 and settings.flow_timeout_seconds is None
    assert settings.warehouse == (tmp_path / "wh").resolve() and settings.webhook_url == "http://127.0.0.1:9/x"
    assert Settings.from_env(workers=5).workers == 5
    assert settings.explicit()["workers"] == 3 and "nlp_batch_size" not in settings.explicit()
    # a partial dict (a deployment's parameters) validates into the same type, remembering what was given
    given = Settings.model_validate({"warehouse": str(tmp_path), "workers": 2})
    assert set(given.explicit()) == {"warehouse", "workers"} and given.nlp_batch_size == 256


@pytest.mark.parametrize("values, message", [
    ({"flow_timeout_seconds": "soon"}, "--flow-timeout / KHABAR_FLOW_TIMEOUT_SECONDS: 'soon' is not a number"),
    ({"stage_timeout_seconds": 0}, "--stage-timeout / KHABAR_STAGE_TIMEOUT_SECONDS: 0.0 is out of range (1 to inf)"),
    ({"workers": "two"}, "--workers / KHABAR_WORKERS: 'two' is not an integer"),
    ({"dedup_threshold": 1.5}, "--dedup-threshold / KHABAR_DEDUP_THRESHOLD: 1.5 is out of range (0.01 to 1.0)"),
    ({"wrokers": 2}, "unknown setting(s) wrokers"),
])
def test_a_bad_setting_is_one_message_naming_flag_and_variable(values, message):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(**values)
    assert str(caught.value).startswith(message)


def test_the_cli_offers_the_new_settings():
    from typer.testing import CliRunner

    from khabar.cli import app

    for command in ("run", "serve"):
        text = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output
        for flag in ("--flow-timeout", "--stage-timeout", "--webhook-url"):
            assert flag in text, (command, flag)
    bad = CliRunner().invoke(app, ["run", ".", "--until", "dedup", "--stage-timeout", "0.5"])
    assert bad.exit_code == 2 and "--stage-timeout / KHABAR_STAGE_TIMEOUT_SECONDS: 0.5 is out of range" in bad.output


# ---------------------------------------------------------------- 7. retries only where a retry can help

def test_retry_policy_retries_io_locks_and_connections_never_bad_input():
    import duckdb
    import filelock
    import httpx
    from prefect.task_engine import TaskRunTimeoutError

    from schemas.tables import SchemaError
    from tasks.ingest import InputNotFoundError

    transient = [OSError(5, "Input/output error"), ConnectionResetError(), filelock.Timeout("wh/.load.lock"),
                 duckdb.IOException('IO Error: Could not set lock on file "wh/khabar.duckdb"'),
                 httpx.ConnectError("refused"), RuntimeError("wrapped")]
    transient[-1].__cause__ = ConnectionRefusedError()
    permanent = [SettingsError("--workers / KHABAR_WORKERS: 0 is out of range"), ValueError("bad record"),
                 SchemaError("column x"), KeyError("article_id"), TypeError("NoneType"),
                 InputNotFoundError("no such input"), TaskRunTimeoutError("took too long"),
                 duckdb.ConstraintException("duplicate key"), RuntimeError("plain bug")]
    assert [ops.is_transient(e) for e in transient] == [True] * len(transient)
    assert [ops.is_transient(e) for e in permanent] == [False] * len(permanent)


def test_tasks_with_retries_use_the_retry_policy():
    from flows import pipeline

    for task in (pipeline.ingest_task, pipeline.stage_task, pipeline.load_task):
        assert task.retries == 2 and task.retry_condition_fn is ops.retry_transient, task.name


def test_a_bad_input_error_runs_once_and_an_io_error_is_retried():
    """Real Prefect task runs with the policy (no delay): ValueError fails at once, OSError succeeds on retry."""
    from prefect import flow, task

    attempts: dict[str, int] = {"bad": 0, "flaky": 0}

    @task(retries=2, retry_delay_seconds=0, retry_condition_fn=ops.retry_transient)
    def bad_input() -> None:
        attempts["bad"] += 1
        raise ValueError("not a date: 'yesterday-ish'")

    @task(retries=2, retry_delay_seconds=0, retry_condition_fn=ops.retry_transient)
    def flaky_disk() -> str:
        attempts["flaky"] += 1
        if attempts["flaky"] == 1:
            raise OSError(5, "Input/output error")
        return "ok"

    @flow
    def both() -> tuple[bool, str]:
        failed = bad_input(return_state=True).is_failed()
        return failed, flaky_disk()

    assert both() == (True, "ok")
    assert attempts == {"bad": 1, "flaky": 2}


# ---------------------------------------------------------------- 4. time limits (a real hang)

def test_a_hung_stage_ends_timed_out_unretried_and_the_next_run_completes(seeds_dir: Path, tmp_path: Path):
    """The load waits for a lock another process holds: with a stage limit it ends TimedOut (not retried)."""
    from flows import progress
    from flows.pipeline import etl

    wh = tmp_path / "wh"
    holder: list = []

    def hold_lock_before_loading(stage: str, info: dict) -> None:
        if stage == "dedup" and not holder:  # after init and the stages, just before stage-tables and load
            holder.append(load_lock_held_elsewhere(wh))
            holder[0].__enter__()

    progress.add_listener(hold_lock_before_loading)
    try:
        state = etl([str(seeds_dir)], settings={"warehouse": str(wh), "stage_timeout_seconds": 8}, until="dedup",
                    return_state=True)
    finally:
        progress.remove_listener(hold_lock_before_loading)
        if holder:
            holder[0].__exit__(None, None, None)
    assert holder and state.is_failed()
    load = _task_runs(state.state_details.flow_run_id)["load"]
    assert load.state.name == "TimedOut" and load.run_count == 1, (load.state, load.run_count)
    assert "exceeded timeout of 8.0 second(s)" in load.state.message

    summary = etl([str(seeds_dir)], settings={"warehouse": str(wh), "stage_timeout_seconds": 60}, until="dedup")
    assert summary["totals"]["articles"] == 3 and _count(wh, "articles") == 3


def test_a_hung_run_ends_timed_out_and_notifies_once(seeds_dir: Path, tmp_path: Path, webhook):
    """Hung outside any task (the warehouse set-up waits for the lock): the flow's own limit ends it."""
    from flows.pipeline import etl

    wh = tmp_path / "wh"
    with load_lock_held_elsewhere(wh):
        state = etl([str(seeds_dir)], settings={"warehouse": str(wh), "flow_timeout_seconds": 5,
                                                "webhook_url": webhook.url}, until="dedup", return_state=True)
    assert state.is_failed() and state.name == "TimedOut"
    assert "flow_timeout_seconds=5" in state.message
    assert len(webhook.messages) == 1, webhook.messages
    body = webhook.messages[0]["body"]
    assert body["state"] == "TimedOut" and body["flow"] == "khabar-etl"
    assert body["flow_run_id"] == str(state.state_details.flow_run_id)
    assert "flow_timeout_seconds=5" in body["error"] and body["text"].startswith("khabar: khabar-etl run ")


def test_an_inbox_run_whose_etl_hangs_notifies_once_and_the_next_run_loads(seeds_dir: Path, tmp_path: Path,
                                                                           webhook):
    """What a scheduled run does: the etl subflow hangs and times out, the inbox run fails with it and only the
    subflow sends a notice; the next run (lock released) loads the same files."""
    import shutil

    from flows.serve import inbox

    wh, box = tmp_path / "wh", tmp_path / "inbox"
    shutil.copytree(seeds_dir, box)
    parameters = {"inbox_dir": str(box), "warehouse": str(wh), "until": "dedup", "min_age_seconds": 0,
                  "settings": {"flow_timeout_seconds": 5, "webhook_url": webhook.url}}
    with load_lock_held_elsewhere(wh):
        state = inbox(**parameters, return_state=True)
    assert state.is_failed()
    assert [(m["body"]["flow"], m["body"]["state"]) for m in webhook.messages] == [("khabar-etl", "TimedOut")]

    next_tick = {**parameters, "settings": {"flow_timeout_seconds": 600, "webhook_url": webhook.url}}
    result = inbox(**next_tick)
    assert len(result["new_files"]) == 3 and result["summary"]["totals"]["articles"] == 3
    assert len(webhook.messages) == 1  # a completed run sends nothing


def test_an_inbox_run_failing_on_its_own_sends_its_notice(tmp_path: Path, webhook):
    from flows.serve import inbox

    state = inbox(inbox_dir=str(tmp_path / "missing"), warehouse=str(tmp_path / "wh"),
                  settings={"webhook_url": webhook.url}, return_state=True)
    assert state.is_failed()
    assert len(webhook.messages) == 1, webhook.messages
    body = webhook.messages[0]["body"]
    assert body["flow"] == "khabar-inbox" and body["stage"] is None and "is not a directory" in body["error"]


# ---------------------------------------------------------------- 3. failure notice, against a real server

@pytest.mark.slow
def test_a_failed_run_sends_one_notice_with_stage_error_and_link(tmp_path: Path, seeds_dir: Path, webhook):
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    from helpers_server import run_khabar, shared_server

    server = shared_server()
    wh = tmp_path / "wh"
    wh.mkdir()
    (wh / "staging").write_text("not a folder", encoding="utf-8")  # staging cannot write: the run fails
    rc, out, err = run_khabar(["run", str(seeds_dir), "-w", str(wh), "--until", "dedup"],
                              server.env(KHABAR_WEBHOOK_URL=webhook.url))
    assert rc == 1, out + err
    assert len(webhook.messages) == 1, webhook.messages
    message = webhook.messages[0]
    assert message["path"] == "/khabar-hook" and message["type"] == "application/json"
    body = message["body"]
    assert body["flow"] == "khabar-etl" and body["state"] == "Failed" and body["stage"] == "stage-tables"
    assert "NotADirectoryError" in body["error"]
    assert body["url"] == f"{server.ui_url}/runs/flow-run/{body['flow_run_id']}" and body["url"] in body["text"]
    with server.client() as client:
        run = client.read_flow_run(body["flow_run_id"])
        logs = [log.message for log in client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))]
    assert run.name == body["flow_run_name"] and run.state.is_failed()
    assert run.parameters["settings"]["webhook_url"] is None  # from the environment: not recorded in the API
    assert body["text"] in logs  # the same notice is in the run's logs


@pytest.mark.slow
def test_a_run_stopped_by_sigterm_is_crashed_and_notifies_once(tmp_path: Path, seeds_dir: Path, webhook):
    """`kill <pid>` of a `khabar run` (a service stop, an OOM-killer's TERM): the run is Crashed, one notice."""
    import signal
    import time

    from helpers_server import start_khabar, shared_server

    server = shared_server()
    wh = tmp_path / "wh"
    with load_lock_held_elsewhere(wh):  # the run waits at the warehouse set-up: it is surely still running
        run = start_khabar(["run", str(seeds_dir), "-w", str(wh), "--until", "dedup", "--webhook-url", webhook.url],
                           server.env())
        deadline = time.monotonic() + 180
        while not any("Beginning flow run" in line for line in run.stderr) and time.monotonic() < deadline:
            assert run.proc.poll() is None, run.output()
            time.sleep(0.5)
        time.sleep(2)
        run.proc.send_signal(signal.SIGTERM)
        assert run.wait(120) != 0
    assert len(webhook.messages) == 1, (webhook.messages, run.output())
    body = webhook.messages[0]["body"]
    assert body["flow"] == "khabar-etl" and body["state"] == "Crashed", body
    with server.client() as client:
        assert client.read_flow_run(body["flow_run_id"]).state.is_crashed()


@pytest.mark.slow
def test_the_documented_prefect_automation_sends_the_notice_too(tmp_path: Path, webhook):
    """docs/operations.md's automation snippet, run as written (its URL swapped for the listener's): the server
    posts to the webhook when a khabar-etl run fails, with no khabar setting at all."""
    import time

    from helpers_server import REPO, shared_server

    server = shared_server()
    doc = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    snippet = doc.split("python - <<'PY'\n", 1)[1].split("\nPY\n", 1)[0]
    assert "https://hooks.example.org/your-hook" in snippet
    snippet = snippet.replace("https://hooks.example.org/your-hook", webhook.url)
    env = server.env()
    env.pop("KHABAR_WEBHOOK_URL", None)
    subprocess.run([sys.executable, "-c", snippet], env=env, check=True, cwd=str(tmp_path), timeout=300)
    try:
        failing = "from flows.pipeline import etl; etl(['nothing'], until='nowhere')"  # ValueError: unknown stage
        done = subprocess.run([sys.executable, "-c", failing], env=env, cwd=str(REPO), capture_output=True, text=True,
                              timeout=300)
        assert done.returncode != 0 and "unknown stage 'nowhere'" in done.stderr
        deadline = time.monotonic() + 120
        while not webhook.messages and time.monotonic() < deadline:
            time.sleep(1)
        assert len(webhook.messages) == 1, webhook.messages
        text = webhook.messages[0]["body"]["text"]
        assert text.startswith("khabar run ") and " Failed: " in text and "unknown stage" in text, text
    finally:
        with server.client() as client:
            for automation in client.read_automations_by_name("khabar run failed"):
                client.delete_automation(automation.id)


# ---------------------------------------------------------------- 5, 6. logs and NLP progress in the UI

@pytest.mark.slow
def test_khabar_log_lines_and_nlp_progress_reach_the_ui(tmp_path: Path, seeds_dir: Path, stanza_dir: Path):
    from prefect.client.schemas.filters import (ArtifactFilter, ArtifactFilterFlowRunId, LogFilter,
                                                LogFilterFlowRunId)

    from flows.nlp import NLP_PROGRESS_KEY
    from helpers_server import run_khabar, shared_server

    server = shared_server()
    wh = tmp_path / "wh"
    rc, out, err = run_khabar(["run", str(seeds_dir), "-w", str(wh), "--models-dir", str(stanza_dir), "--workers", "1",
                               "--until", "nlp", "--json"], server.env())
    assert rc == 0, out + err
    import duckdb

    from warehouse import db_path

    con = duckdb.connect(str(db_path(wh)), read_only=True)
    try:
        (flow_run_id,), = con.execute("SELECT flow_run_id FROM runs").fetchall()
    finally:
        con.close()
    with server.client() as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    summary = [log for log in logs if log.message.startswith("nlp: ")]
    assert [log.message for log in summary] == ["nlp: 3 parsed, 0 from cache, 0 failed, 0 skipped"]
    assert summary[0].name == "khabar.nlp" and summary[0].level == 20
    bar = {a.key: a for a in artifacts}[NLP_PROGRESS_KEY]
    assert bar.type == "progress" and float(bar.data) == 100.0
    assert bar.description == "NLP: articles done: 3 / 3"


@pytest.mark.slow
def test_the_nlp_progress_artifact_moves_while_the_stage_runs(tmp_path: Path, seeds_dir: Path, stanza_dir: Path):
    """One article per chunk: as each chunk comes back the artifact already shows it (read through the API)."""
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey
    from prefect.runtime import flow_run

    from flows import progress
    from flows.nlp import NLP_PROGRESS_KEY
    from flows.pipeline import etl

    seen: list[tuple[int, float]] = []

    def read_artifact(stage: str, info: dict) -> None:
        if stage != "nlp" or progress.ITEMS not in info:
            return
        with get_client(sync_client=True) as client:
            found = client.read_artifacts(artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[NLP_PROGRESS_KEY]), flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run.id])))
        seen.append((info[progress.ITEMS][0], float(found[0].data)))

    progress.add_listener(read_artifact)
    try:
        etl([str(seeds_dir)], settings={"warehouse": str(tmp_path / "wh"), "models_dir": str(stanza_dir), "workers": 1,
                                        "nlp_batch_size": 1}, until="nlp")
    finally:
        progress.remove_listener(read_artifact)
    assert seen == [(0, 0.0), (1, 33.3), (2, 66.7), (3, 100.0)]


# ---------------------------------------------------------------- 8. NLP workers share the API publicly

def test_workers_get_the_ephemeral_api_address_as_prefect_api_url(monkeypatch):
    import urllib.request

    from prefect.settings import PREFECT_API_URL

    from flows.workers import shared_api

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert not PREFECT_API_URL.value()
    with shared_api():
        url = PREFECT_API_URL.value()
        with urllib.request.urlopen(f"{url}/health", timeout=30) as answer:
            assert answer.status == 200
    assert url.startswith("http://127.0.0.1:") and not PREFECT_API_URL.value()


@pytest.mark.slow
def test_a_scheduled_run_that_hangs_times_out_and_the_next_scheduled_run_completes(tmp_path: Path, seeds_dir: Path,
                                                                                   stanza_dir: Path, webhook):
    """`khabar serve` on a real loopback server with a one-minute cron: the first tick's run waits on a writer lock
    another process holds and ends TimedOut at --flow-timeout (one notice); the lock goes, and the next tick the
    scheduler starts (not one the test calls) loads the inbox."""
    import shutil

    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    from helpers_server import shared_server, start_khabar

    server = shared_server()
    box, wh = tmp_path / "inbox", tmp_path / "wh"
    shutil.copytree(seeds_dir, box)
    name = f"hang-{tmp_path.name}"[:60]
    held = load_lock_held_elsewhere(wh)
    held.__enter__()
    served = start_khabar(["serve", "--inbox", str(box), "-w", str(wh), "--cron", "* * * * *", "--until", "dedup",
                           "--min-age", "0", "--flow-timeout", "20", "--webhook-url", webhook.url,
                           "--models-dir", str(stanza_dir), "--workers", "1", "--name", name], server.env())

    def finished_runs(client) -> list:
        deployment = client.read_deployment_by_name(f"khabar-inbox/{name}")
        runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                                     sort=FlowRunSort.EXPECTED_START_TIME_ASC)
        return [r for r in runs if r.state is not None and r.state.is_final()]

    try:
        with server.client() as client:
            runs: list = []
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and not runs:
                assert served.proc.poll() is None, served.output()
                try:
                    runs = finished_runs(client)
                except Exception:  # the deployment is not registered yet
                    pass
                time.sleep(2)
            assert runs and runs[0].state.is_failed(), (runs, served.output())
            held.__exit__(None, None, None)
            held = None
            hung = runs[0]
            assert [(m["body"]["flow"], m["body"]["state"]) for m in webhook.messages] == [("khabar-etl", "TimedOut")]

            deadline = time.monotonic() + 240
            later: list = []
            while time.monotonic() < deadline and not later:
                assert served.proc.poll() is None, served.output()
                later = [r for r in finished_runs(client) if r.id != hung.id and r.state.is_completed()]
                time.sleep(2)
            assert later, served.output()
            assert later[0].expected_start_time > hung.expected_start_time
    finally:
        if held is not None:
            held.__exit__(None, None, None)
        served.kill()
    assert _count(wh, "articles") == 3
    assert len(webhook.messages) == 1  # the completed tick sends nothing
