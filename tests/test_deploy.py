"""Deployments: prefect.yaml onto a process work pool, and `khabar serve` with a time zone and run's options.

The fast tests read prefect.yaml with Prefect's own model and check it against the flow it names. The slow ones
use a real `prefect server` on loopback (tests/helpers_server.py): `prefect work-pool create`, `prefect deploy`
from prefect.yaml, a `prefect worker` that runs the deployment over an inbox of seed files (full pipeline, real
Stanza models), and a DuckDB query of what it loaded.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from flows.serve import PathParameterError, ScheduleError, check_path_parameters, inbox_schedule

REPO = Path(__file__).resolve().parent.parent
PREFECT_YAML = REPO / "prefect.yaml"
PREFECT = [sys.executable, "-m", "prefect"]


def _deployment() -> dict:
    """The khabar-inbox deployment of prefect.yaml, read the way `prefect deploy` reads it."""
    from prefect.cli.deploy._models import PrefectYamlModel

    raw = yaml.safe_load(PREFECT_YAML.read_text())
    PrefectYamlModel.model_validate(raw)  # raises on a key or shape Prefect does not accept
    [deployment] = [d for d in raw["deployments"] if d["name"] == "khabar-inbox"]
    return deployment


# ---------------------------------------------------------------- plain checks

def test_prefect_yaml_names_the_inbox_flow_with_its_parameters_and_a_zoned_schedule():
    from prefect.flows import load_flow_from_entrypoint

    from khabar.config import Settings

    deployment = _deployment()
    flow = load_flow_from_entrypoint(str(REPO / deployment["entrypoint"]))
    assert flow.name == "khabar-inbox"
    accepted = set(flow.parameters.properties)
    assert set(deployment["parameters"]) <= accepted, set(deployment["parameters"]) - accepted
    assert set(flow.parameters.required) <= set(deployment["parameters"])  # a scheduled run needs no input
    assert set(deployment["parameters"]["settings"]) <= set(vars(Settings.from_env()))  # names of real settings
    [schedule] = deployment["schedules"]
    assert schedule["timezone"] and inbox_schedule(schedule["cron"], schedule["timezone"])
    assert deployment["concurrency_limit"]["limit"] == 1  # one inbox run at a time, like `khabar serve`
    assert deployment["work_pool"]["name"]
    import prefect

    assert yaml.safe_load(PREFECT_YAML.read_text())["prefect-version"] == prefect.__version__  # bump both together


def test_path_parameters_must_be_absolute_and_filled():
    with pytest.raises(PathParameterError, match="inbox_dir .*placeholder.*set KHABAR_INBOX"):
        check_path_parameters({"inbox_dir": "{{ $KHABAR_INBOX }}", "warehouse": "/data/wh"})
    with pytest.raises(PathParameterError, match="models_dir .*KHABAR_MODELS_DIR"):
        check_path_parameters({"models_dir": "{{$KHABAR_MODELS_DIR}}"})
    # What `prefect deploy` makes of a placeholder whose variable is unset: '' (then Path('') is '.').
    for empty in ("", ".", Path("")):
        with pytest.raises(PathParameterError, match="not an absolute path.*unset when `prefect deploy` ran"):
            check_path_parameters({"inbox_dir": empty})
    with pytest.raises(PathParameterError, match="'inbox', not an absolute path"):
        check_path_parameters({"inbox_dir": "inbox"})
    check_path_parameters({"inbox_dir": "/data/inbox", "warehouse": Path("/data/wh"), "models_dir": None})


def test_schedule_rejects_a_bad_zone_or_cron_and_keeps_the_zone():
    with pytest.raises(ScheduleError, match="Invalid timezone"):
        inbox_schedule("0 6 * * *", "Asia/Lahore")  # not an IANA zone (Pakistan is Asia/Karachi)
    with pytest.raises(ScheduleError, match="Invalid cron"):
        inbox_schedule("every morning", "UTC")
    assert inbox_schedule("0 6 * * *", "Asia/Karachi").timezone == "Asia/Karachi"


def test_cli_serve_rejects_a_bad_timezone_before_registering_anything(tmp_path: Path):
    from typer.testing import CliRunner

    from khabar.cli import app

    result = CliRunner().invoke(app, ["serve", "--inbox", str(tmp_path), "--timezone", "Mars/Olympus"])
    assert result.exit_code == 2
    assert "Invalid timezone" in result.output and "Traceback" not in result.output


def test_run_and_serve_share_one_declaration_of_the_run_options():
    import typer.main

    from khabar.cli import app

    commands = typer.main.get_command(app).commands
    run = {p.name: p for p in commands["run"].params}
    serve = {p.name: p for p in commands["serve"].params}
    shared = set(run) - {"inputs", "quiet", "as_json"}  # every run setting; those three concern one terminal run
    assert {"warehouse", "until", "workers", "models_dir", "default_language", "dedup_threshold"} <= shared
    assert shared <= set(serve), shared - set(serve)
    for name in shared:
        a, b = run[name], serve[name]
        assert (a.opts, a.default, a.help, a.envvar) == (b.opts, b.default, b.help, b.envvar), name


def test_serve_refuses_a_bad_run_option_like_run_does(tmp_path: Path, stanza_dir: Path):
    from typer.testing import CliRunner

    from khabar.cli import app

    result = CliRunner().invoke(app, ["serve", "--inbox", str(tmp_path), "--models-dir", str(stanza_dir),
                                      "--dedup-threshold", "1.5"])
    assert result.exit_code == 2
    assert "--dedup-threshold / KHABAR_DEDUP_THRESHOLD: 1.5 is out of range" in " ".join(result.output.split())


# ---------------------------------------------------------------- against a real Prefect server

@pytest.mark.slow
def test_prefect_deploy_from_prefect_yaml_runs_on_a_process_worker_and_loads(tmp_path: Path, seeds_dir: Path,
                                                                               stanza_dir: Path):
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    from helpers_server import Proc, count, shared_server, wait_final

    server = shared_server()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for src in sorted(seeds_dir.glob("*.txt"))[:2]:
        shutil.copy(src, inbox / src.name)
        settled = time.time() - 3600  # the deployment skips files younger than min_age_seconds (10 s: still being
        os.utime(inbox / src.name, (settled, settled))  # written); a fast machine runs it sooner than that
    wh = tmp_path / "wh"
    deployment_yaml = _deployment()
    pool = deployment_yaml["work_pool"]["name"]
    env = server.env(KHABAR_INBOX=str(inbox), KHABAR_WAREHOUSE=str(wh), KHABAR_MODELS_DIR=str(stanza_dir),
                     PREFECT_WORKER_QUERY_SECONDS="2")

    def prefect(*args: str) -> str:
        done = subprocess.run([*PREFECT, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    prefect("work-pool", "create", pool, "--type", "process")
    prefect("deploy", "--name", "khabar-inbox", "--no-prompt")  # reads ./prefect.yaml
    worker = Proc(subprocess.Popen([*PREFECT, "worker", "start", "--pool", pool, "--name", "khabar-test-worker"],
                                   cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)).start_pumps()
    try:
        with server.client() as client:
            deployment = client.read_deployment_by_name("khabar-inbox/khabar-inbox")
            [schedule] = deployment.schedules
            want = deployment_yaml["schedules"][0]
            assert (schedule.schedule.cron, schedule.schedule.timezone) == (want["cron"], want["timezone"])
            assert deployment.work_pool_name == pool and deployment.global_concurrency_limit.limit == 1
            assert deployment.parameters["inbox_dir"] == str(inbox)  # the placeholder filled at deploy time
            assert deployment.parameters["settings"]["models_dir"] == str(stanza_dir)
            assert "Settings" in deployment.parameter_openapi_schema["definitions"]  # the UI's settings form

            run = client.create_flow_run_from_deployment(deployment.id)  # "Quick run", as in the UI
            state = wait_final(client, run.id, 480, worker)
            assert state is not None and state.is_completed(), (state, worker.output())
            assert client.read_flow_run(run.id).work_pool_name == pool

            # The server's scheduler plans runs from the yaml's cron in the yaml's time zone (a window check; a
            # */15 cron tells zones apart only near 06:00, so the exact 06:00-is-01:00-UTC check is the serve test's).
            zone = ZoneInfo(want["timezone"])
            scheduled, deadline = [], time.monotonic() + 120
            while not scheduled and time.monotonic() < deadline:
                scheduled = [r for r in client.read_flow_runs(
                    deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])))
                    if r.id != run.id and r.state.is_scheduled()]
                time.sleep(0 if scheduled else 3)
            assert scheduled
            for planned in scheduled:  # "*/15 6-23 * * *" in Asia/Karachi: 06:00 to 23:45 there
                local = planned.expected_start_time.astimezone(zone)
                assert 6 <= local.hour <= 23 and local.minute % 15 == 0, local

            # Deployed again without KHABAR_INBOX: prefect deploy makes the parameter '' (with a warning). Its
            # run fails at once, naming the cause, rather than taking the worker's folder (the checkout) as inbox.
            del env["KHABAR_INBOX"]
            prefect("deploy", "--name", "khabar-inbox", "--no-prompt")
            deployment = client.read_deployment_by_name("khabar-inbox/khabar-inbox")
            assert deployment.parameters["inbox_dir"] == ""
            bad = client.create_flow_run_from_deployment(deployment.id)
            state = wait_final(client, bad.id, 240, worker)
            assert state is not None and state.is_failed(), (state, worker.output())
            assert "inbox_dir is '', not an absolute path" in state.message, state.message
    finally:
        worker.kill()

    assert count(wh, "articles") == 2 and count(wh, "source_files") == 2
    import duckdb

    from warehouse import db_path

    con = duckdb.connect(str(db_path(wh)), read_only=True)
    try:
        sources = {Path(p).name for (p,) in con.execute("SELECT source_path FROM articles").fetchall()}
        parsed = con.execute("SELECT count(*) FROM mentions").fetchone()[0]
    finally:
        con.close()
    assert sources == {p.name for p in inbox.iterdir()}
    assert parsed > 0  # the full pipeline ran on the worker, with the deployment's models_dir


@pytest.mark.slow
def test_served_deployment_has_the_time_zone_and_run_options(tmp_path: Path, stanza_dir: Path):
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    from helpers_server import shared_server, start_khabar

    server = shared_server()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    name = f"zoned-{tmp_path.name}"[:60]
    served = start_khabar(["serve", "--inbox", str(inbox), "-w", str(tmp_path / "wh"), "--cron", "0 6 * * *",
                           "--timezone", "Asia/Karachi", "--models-dir", str(stanza_dir), "--workers", "1",
                           "--language", "ur", "--name", name], server.env())
    try:
        with server.client() as client:
            deployment, scheduled = None, []
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and not scheduled:
                assert served.proc.poll() is None, served.output()
                try:
                    deployment = deployment or client.read_deployment_by_name(f"khabar-inbox/{name}")
                    scheduled = client.read_flow_runs(
                        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])))
                except Exception:  # not registered yet
                    pass
                if not scheduled:
                    time.sleep(2)
            assert scheduled, served.output()
            assert [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules] == [("0 6 * * *",
                                                                                              "Asia/Karachi")]
            settings = dict(deployment.parameters["settings"])
            # serve's warm worker pool (models loaded once, kept between ticks) is handed to every run
            assert settings.pop("dask_address", "").startswith("tcp://127.0.0.1:"), deployment.parameters
            assert settings == {"models_dir": str(stanza_dir), "workers": 1, "default_language": "ur"}
            for run in scheduled:  # 06:00 in Karachi is 01:00 UTC (UTC+5, no daylight saving)
                local = run.expected_start_time.astimezone(ZoneInfo("Asia/Karachi"))
                assert (local.hour, local.minute) == (6, 0), local
                assert run.expected_start_time.astimezone(ZoneInfo("UTC")).hour == 1
                assert run.expected_start_time > datetime.now(ZoneInfo("UTC"))
    finally:
        served.kill()
