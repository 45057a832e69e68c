"""Clean interruption (issue 15): Ctrl-C stops a real `khabar run` within seconds with one line and nothing
loaded, and no process of the run outlives it, even when the main process is killed with SIGKILL."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import pytest

pytestmark = pytest.mark.slow


def start_run(inputs: Path, wh: Path, log: Path, stanza_dir: Path) -> subprocess.Popen:
    """`khabar run INPUTS --workers 2` in a session of its own (its pid is the session id of all it starts)."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "khabar.cli", "run", str(inputs), "-w", str(wh), "--workers", "2",
                             "--models-dir", str(stanza_dir)], stdin=subprocess.DEVNULL, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True, env=env)


def wait_for(predicate, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def left_in_session(sid: int) -> list[str]:
    """Processes still alive in the run's session (its workers and Prefect server would be here)."""
    out = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        try:
            if os.getsid(proc.pid) == sid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                out.append(" ".join(proc.info["cmdline"] or [])[:120])
        except (ProcessLookupError, psutil.Error):
            continue
    return out


def watchdogs_of(pid: int) -> list[int]:
    return [p.pid for p in psutil.process_iter(["cmdline"])
            if (p.info["cmdline"] or [])[1:4] == ["-m", "khabar.interrupt", str(pid)]]


def articles_in(wh: Path) -> int:
    if not (wh / "khabar.duckdb").exists():
        return 0
    with duckdb.connect(str(wh / "khabar.duckdb"), read_only=True) as con:
        return con.execute("SELECT count(*) FROM articles").fetchone()[0]


def test_ctrl_c_during_nlp_stops_in_seconds_with_one_line_and_nothing_loaded(seeds_dir, stanza_dir, tmp_path):
    wh, log = tmp_path / "wh", tmp_path / "run.log"
    run = start_run(seeds_dir, wh, log, stanza_dir)
    try:
        wait_for(lambda: "✓ dedup" in log.read_text(encoding="utf-8"), 120, "the NLP stage to start")
    except AssertionError:
        os.killpg(run.pid, signal.SIGKILL)
        raise
    time.sleep(1.0)  # inside NLP: models loading or parsing
    assert run.poll() is None, log.read_text(encoding="utf-8")
    sent = time.monotonic()
    os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C does: the terminal signals the whole foreground group
    rc = run.wait(timeout=30)
    took = time.monotonic() - sent
    text = log.read_text(encoding="utf-8")
    assert rc == 130, text
    assert took < 10, took
    said = [ln for ln in text.splitlines() if ln.startswith("interrupted")]
    assert len(said) == 1 and "during nlp: nothing of this run was loaded" in said[0], text
    assert "Traceback" not in text and "Error" not in text.split("✓ dedup", 1)[1], text
    wait_for(lambda: not left_in_session(run.pid) and not watchdogs_of(run.pid), 10, "the run's processes to end")
    assert articles_in(wh) == 0

    rerun = start_run(seeds_dir, wh, log, stanza_dir)
    assert rerun.wait(timeout=600) == 0, log.read_text(encoding="utf-8")
    assert articles_in(wh) == 3
    wait_for(lambda: not left_in_session(rerun.pid) and not watchdogs_of(rerun.pid), 10, "the re-run's processes")


@pytest.mark.parametrize("command", ["run", "serve --once"])
def test_kill_9_of_the_main_process_leaves_no_worker_or_server(command, counter_dir, stanza_dir, tmp_path):
    """Enough text (COUNTER articles) that a second NLP lane, a spawned worker process, starts; SIGKILL the run
    (or `khabar serve --once` on an inbox) once it is there: the watchdog ends the worker and the temporary
    Prefect server."""
    batch = tmp_path / "inbox" / "counter.jsonl"
    batch.parent.mkdir()
    rows = [json.loads(line) for line in (counter_dir / "docs.jsonl").read_text(encoding="utf-8").splitlines()]
    with batch.open("w", encoding="utf-8") as fh:
        for row in rows[:200]:  # ~210,000 characters: flows.nlp starts a second lane past 150,000
            fh.write(json.dumps({"id": row["id"], "title": row.get("title"), "text": row["text"]},
                                ensure_ascii=False) + "\n")
    wh, log = tmp_path / "wh", tmp_path / "run.log"
    if command == "run":
        run = start_run(batch, wh, log, stanza_dir)
    else:
        run = subprocess.Popen([sys.executable, "-m", "khabar.cli", "serve", "--once", "--inbox", str(batch.parent),
                                "--min-age", "0", "-w", str(wh), "--workers", "2", "--models-dir", str(stanza_dir)],
                               stdin=subprocess.DEVNULL, stdout=log.open("w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    main = psutil.Process(run.pid)

    def worker_started() -> bool:
        return any("multiprocessing" in " ".join(c.cmdline()) for c in main.children(recursive=True)
                   if c.is_running())

    try:
        wait_for(worker_started, 180, "an NLP worker process")
    except AssertionError:
        os.killpg(run.pid, signal.SIGKILL)
        raise
    below = [c.pid for c in main.children(recursive=True)]
    assert len(left_in_session(run.pid)) >= 3  # the run, its Prefect server, its worker
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=10)
    wait_for(lambda: not left_in_session(run.pid), 15, "the worker and server to end: " + ", ".join(
        left_in_session(run.pid)))
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                   for pid in below if pid not in watchdogs_of(run.pid))
    wait_for(lambda: not watchdogs_of(run.pid), 10, "the watchdog to end")
