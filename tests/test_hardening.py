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
