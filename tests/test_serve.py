"""Scheduled inbox runs: the selection is a plain function; the served flow is checked against a real server."""
from __future__ import annotations

import hashlib
import os
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from flows.serve import scan_inbox, select_new_files
from tasks import load
from warehouse import read_snapshot

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _record_seen(warehouse: Path, *paths: Path, run_id: str = "r-test") -> None:
    """What a finished run leaves behind: source_files rows loaded through the real loader."""
    rows = [{"file_hash": hashlib.sha256(p.read_bytes()).hexdigest(), "source_path": str(p),
             "size_bytes": p.stat().st_size, "run_id": run_id, "seen_at": NOW} for p in paths]
    load.stage(warehouse, run_id, "source_files", rows)
    load.load_run(warehouse, run_id)


def _listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def inbox(tmp_path: Path, seeds_dir: Path) -> Path:
    box = tmp_path / "inbox"
    box.mkdir()
    for src in sorted(seeds_dir.glob("*.txt"))[:2]:
        shutil.copy(src, box / src.name)
    return box


def test_everything_is_new_in_an_empty_warehouse(inbox: Path, tmp_path: Path):
    assert select_new_files(inbox, tmp_path / "wh") == sorted(p.resolve() for p in inbox.iterdir())


def test_files_already_loaded_are_skipped_by_content_not_name(inbox: Path, tmp_path: Path, seeds_dir: Path):
    wh = tmp_path / "wh"
    first, second = sorted(inbox.iterdir())
    _record_seen(wh, first)
    assert select_new_files(inbox, wh) == [second.resolve()]
    # The same bytes under another name (and in a subfolder) are still "seen"; changed bytes are new.
    (inbox / "sub").mkdir()
    shutil.copy(first, inbox / "sub" / "renamed.txt")
    edited = inbox / "edited.txt"
    edited.write_bytes(first.read_bytes() + "\nتازہ ترین".encode())
    sel = scan_inbox(inbox, wh)
    assert sel.new == sorted([second.resolve(), edited.resolve()])
    assert sorted(sel.seen) == sorted([first.resolve(), (inbox / "sub" / "renamed.txt").resolve()])
    _record_seen(wh, second, edited, run_id="r-test2")
    assert select_new_files(inbox, wh) == []


def test_same_content_twice_in_one_batch_is_processed_once(inbox: Path, tmp_path: Path):
    first = sorted(inbox.iterdir())[0]
    shutil.copy(first, inbox / "zz-copy.txt")
    sel = scan_inbox(inbox, tmp_path / "wh")
    assert first.resolve() in sel.new and (inbox / "zz-copy.txt").resolve() not in sel.new
    assert sel.repeated == [(inbox / "zz-copy.txt").resolve()]


def test_files_still_being_written_and_unsupported_files_wait_untouched(inbox: Path, tmp_path: Path):
    old = time.time() - 3600
    for p in inbox.iterdir():
        os.utime(p, (old, old))
    fresh = inbox / "arriving.txt"
    fresh.write_text("ابھی لکھی جا رہی ہے", encoding="utf-8")
    (inbox / "notes.pdf").write_bytes(b"%PDF-1.4")
    (inbox / ".hidden.txt").write_text("x", encoding="utf-8")
    before = _listing(inbox)
    sel = scan_inbox(inbox, tmp_path / "wh", min_age_seconds=60)
    assert sel.unsettled == [fresh.resolve()]
    assert sel.unsupported == [(inbox / "notes.pdf").resolve()]
    assert fresh.resolve() not in sel.new and len(sel.new) == 2
    assert (inbox / ".hidden.txt").resolve() not in sel.new
    assert select_new_files(inbox, tmp_path / "wh", min_age_seconds=0) == sorted(
        [*(p.resolve() for p in inbox.glob("0*.txt")), fresh.resolve()])
    assert _listing(inbox) == before  # nothing moved, deleted or modified


def test_inbox_must_be_a_directory(tmp_path: Path):
    with pytest.raises(NotADirectoryError):
        select_new_files(tmp_path / "missing", tmp_path / "wh")


def test_cli_rejects_a_bad_cron_before_registering_anything(tmp_path: Path):
    from typer.testing import CliRunner

    from khabar.cli import app

    result = CliRunner().invoke(app, ["serve", "--inbox", str(tmp_path), "--cron", "every tuesday"])
    assert result.exit_code == 2
    assert "cron" in result.output.lower()


# ---------------------------------------------------------------- against a real Prefect server

@pytest.mark.slow
def test_inbox_runs_pick_up_only_new_files(inbox: Path, tmp_path: Path, seeds_dir: Path):
    from helpers_server import count, run_khabar, shared_server

    server = shared_server()
    wh = tmp_path / "wh"
    args = ["serve", "--once", "--inbox", str(inbox), "-w", str(wh), "--until", "dedup", "--min-age", "0"]
    rc, out, err = run_khabar(args, server.env())
    assert rc == 0, out + err
    assert count(wh, "articles") == 2 and count(wh, "source_files") == 2
    before = _listing(inbox)

    rc, out, err = run_khabar(args, server.env())  # nothing new: no etl run, nothing loaded
    assert rc == 0, out + err
    assert "nothing new" in err
    assert count(wh, "runs") == 1

    third = sorted(seeds_dir.glob("*.txt"))[2]
    shutil.copy(third, inbox / third.name)
    shutil.copy(sorted(inbox.glob("0*.txt"))[0], inbox / "again.txt")  # old content, new name
    rc, out, err = run_khabar(args, server.env())
    assert rc == 0, out + err
    assert count(wh, "articles") == 3 and count(wh, "runs") == 2
    paths = read_snapshot(wh, "source_files").column("source_path").to_pylist()
    assert str((inbox / third.name).resolve()) in paths and not any(p.endswith("again.txt") for p in paths)
    assert {k: v for k, v in _listing(inbox).items() if k in before} == before


@pytest.mark.slow
def test_served_deployment_has_the_cron_schedule_and_runs(inbox: Path, tmp_path: Path):
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId, FlowRunFilter, FlowRunFilterId
    from helpers_server import count, shared_server, start_khabar, wait_deployment, wait_final

    server = shared_server()
    wh = tmp_path / "wh"
    name = f"inbox-{tmp_path.name}"[:60]
    cron = "7 3 * * *"
    served = start_khabar(["serve", "--inbox", str(inbox), "-w", str(wh), "--cron", cron, "--until", "dedup",
                           "--min-age", "0", "--name", name], server.env())
    try:
        with server.client() as client:
            deployment = wait_deployment(client, f"khabar-inbox/{name}", 180, served)
            assert deployment is not None, served.output()
            assert [s.schedule.cron for s in deployment.schedules] == [cron]
            assert deployment.parameters["inbox_dir"] == str(inbox.resolve())
            # The scheduler has planned upcoming runs from the cron; start one now instead of waiting for 03:07.
            run = client.create_flow_run_from_deployment(deployment.id)
            state = wait_final(client, run.id, 240)
            assert state.is_completed(), (state, served.output())
            scheduled = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(not_any_=[run.id])))
            assert scheduled and all(r.state.is_scheduled() for r in scheduled)
            assert all((r.expected_start_time.hour, r.expected_start_time.minute) == (3, 7) for r in scheduled)
    finally:
        served.kill()
    assert count(wh, "articles") == 2


@pytest.mark.slow
def test_serve_keeps_its_worker_pool_warm_between_ticks_and_shuts_it_down(inbox: Path, tmp_path: Path,
                                                                           seeds_dir: Path, stanza_dir: Path):
    """`khabar serve` (parsing runs, 2 workers) keeps one pool of worker processes for all its runs: two ticks are
    parsed and extracted by the same processes, which loaded the Stanza pipeline once (at serve start, not per
    tick); the pool ends with serve (Ctrl-C)."""
    import re
    import signal

    import psutil
    from prefect.client.schemas.filters import (FlowRunFilter, FlowRunFilterParentFlowRunId, LogFilter,
                                                LogFilterFlowRunId)
    from helpers_server import count, shared_server, start_khabar, wait_deployment, wait_final

    server = shared_server()
    wh = tmp_path / "wh"
    name = f"warm-{tmp_path.name}"[:60]
    served = start_khabar(["serve", "--inbox", str(inbox), "-w", str(wh), "--cron", "7 3 * * *", "--min-age", "0",
                           "--models-dir", str(stanza_dir), "--workers", "2", "--name", name], server.env())

    def tick(client, deployment) -> tuple[list[int], dict[int, int]]:
        run = client.create_flow_run_from_deployment(deployment.id)
        state = wait_final(client, run.id, 300)
        assert state.is_completed(), (state, served.output())
        etl_runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(  # the etl subflow: its own flow run
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run.id])))
        logs = [entry.message for entry in client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id] + [r.id for r in etl_runs])))]
        line = next((m for m in logs if m.startswith("nlp+extract:")), None)
        assert line, logs
        found = re.search(r"process\(es\) \[([\d, ]+)\]; Stanza pipelines each has loaded: (\{.*\})", line)
        pids = [int(p) for p in found.group(1).split(",")]
        loads = {int(k): int(v) for k, v in re.findall(r"(\d+): (\d+)", found.group(2))}
        return pids, loads

    try:
        with server.client() as client:
            deployment = wait_deployment(client, f"khabar-inbox/{name}", 240, served)  # (the pool starts first)
            assert deployment is not None, served.output()
            assert deployment.parameters["settings"]["dask_address"].startswith("tcp://")
            first, loads1 = tick(client, deployment)
            assert count(wh, "articles") == 2
            third = sorted(seeds_dir.glob("*.txt"))[2]
            shutil.copy(third, inbox / third.name)
            second, loads2 = tick(client, deployment)
            assert count(wh, "articles") == 3 and count(wh, "events") > 0
        started = re.search(r"warm worker pool: 2 processes \[([\d, ]+)\]", served.output())
        assert started, served.output()
        pool = {int(p) for p in started.group(1).split(",")}
        assert set(first) <= pool and set(second) <= pool, (pool, first, second)  # no process spawned per tick
        assert all(n == 1 for n in {**loads1, **loads2}.values()), (loads1, loads2)  # one pipeline load a process
        assert all(psutil.pid_exists(p) for p in pool), "the pool ended between ticks"
        served.proc.send_signal(signal.SIGINT)  # Ctrl-C: serve stops, and its pool with it
        served.wait(90)

        def running(pid: int) -> bool:
            try:
                return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                return False

        deadline = time.monotonic() + 30  # checked before the group is killed below: serve ended them itself
        while time.monotonic() < deadline and any(map(running, pool)):
            time.sleep(0.5)
        assert not [p for p in pool if running(p)], served.output()
    finally:
        served.kill()
