"""The run options, declared once (khabar.cli_common.RUN_OPTIONS, from the Settings model) and shared by `khabar run`
and `khabar serve`: every setting a flag named after its variable, env < flag, one error path (exit 2, no traceback)."""
from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from khabar.cli import app
from khabar.cli_common import RUN_OPTIONS, run_options
from khabar.config import SHORT_FLAGS, Settings, env_name

runner = CliRunner()
# the flags README.md, docs/ and scripts use: each keeps working
DOCUMENTED = ("--warehouse", "-w", "--until", "--workers", "--models-dir", "--dask-address", "--batch-size",
              "--max-file-bytes", "--dedup-threshold", "--shingle-size", "--language", "--flow-timeout",
              "--stage-timeout", "--webhook-url")


def _help(command: str) -> str:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", ["run", "serve"])
def test_every_setting_is_a_flag_named_after_its_variable(command: str):
    text = _help(command)
    assert list(RUN_OPTIONS) == list(Settings.model_fields)
    for name in Settings.model_fields:
        assert f"--{name.replace('_', '-')}" in text and env_name(name) in text, name
    for flag in (*DOCUMENTED, *SHORT_FLAGS.values()):
        assert flag in text, flag


def _probe() -> tuple[typer.Typer, list]:
    seen: list = []
    probe = typer.Typer()

    @probe.command()
    @run_options
    def go(name: str = typer.Option("x", "--name"), *, settings: Settings, until: str) -> None:
        seen.append((name, settings, until))

    return probe, seen


def test_env_below_flag_and_only_flags_are_passed_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    probe, seen = _probe()
    monkeypatch.setenv("KHABAR_BATCH_SIZE", "7")
    monkeypatch.setenv("KHABAR_WEBHOOK_URL", "http://secret.invalid/hook")
    monkeypatch.setenv("KHABAR_WAREHOUSE", str(tmp_path / "from-env"))
    result = runner.invoke(probe, ["--name", "n", "--batch-size", "9", "--flow-timeout-seconds", "30",
                                   "--until", "dedup"])
    assert result.exit_code == 0, result.output
    [(name, settings, until)] = seen
    assert (name, until) == ("n", "dedup")
    assert settings.batch_size == 9 and settings.flow_timeout_seconds == 30.0  # the flag wins; typed
    assert settings.warehouse == (tmp_path / "from-env").resolve()
    # KHABAR_* values stay out of what the run records (the flow reads them itself): a webhook URL may be a secret
    assert set(settings.explicit()) == {"warehouse", "batch_size", "flow_timeout_seconds"}
    assert Settings.from_env(**settings.explicit()).webhook_url == "http://secret.invalid/hook"


@pytest.mark.parametrize("command", [["run", "."], ["serve", "--inbox", "."]])
@pytest.mark.parametrize("args,env,message", [
    ([], {"KHABAR_DEDUP_NUM_PERM": "abc"}, "--dedup-num-perm / KHABAR_DEDUP_NUM_PERM: 'abc' is not an integer"),
    (["--batch-size=abc"], {}, "--batch-size / KHABAR_BATCH_SIZE: 'abc' is not an integer"),
    ([], {"KHABAR_WORKERS": "two"}, "--workers / KHABAR_WORKERS: 'two' is not an integer"),
    (["--dedup-shingle-size", "0"], {}, "--shingle-size / KHABAR_DEDUP_SHINGLE_SIZE: 0 is out of range"),
    (["--until", "nope"], {}, "unknown stage 'nope'"),
])
def test_a_bad_setting_is_one_message_exit_2_no_traceback(command, args, env, message, tmp_path: Path):
    wh = tmp_path / "wh"
    result = runner.invoke(app, [*command, "-w", str(wh), "--until", "dedup", *args], env=env)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert not wh.exists()


def test_run_and_serve_pass_the_flags_given_to_the_flow(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                        seeds_dir: Path):
    import flows.pipeline
    import flows.serve
    import khabar.interrupt

    calls: list = []
    monkeypatch.setattr(flows.pipeline, "etl", lambda inputs, settings, until: calls.append((settings, until))
                        or {"run_id": "r", "warehouse": "w", "counts": {"articles": 1}})
    monkeypatch.setattr(flows.serve, "inbox", lambda **params: calls.append(params) or {"new_files": [], "seen": 0})
    monkeypatch.setattr(khabar.interrupt, "start_watchdog", lambda: None)
    monkeypatch.setenv("KHABAR_DEDUP_THRESHOLD", "0.5")
    wh = tmp_path / "wh"
    flags = ["-w", str(wh), "--until", "dedup", "--batch-size", "5", "--language", "ur"]
    ran = runner.invoke(app, ["run", str(seeds_dir), *flags, "--json"])
    served = runner.invoke(app, ["serve", "--inbox", str(seeds_dir), "--once", *flags])
    assert ran.exit_code == 0 and served.exit_code == 0, (ran.output, served.output)
    (settings, until), params = calls
    assert until == "dedup" and isinstance(settings, Settings)
    assert settings.explicit() == {"warehouse": wh.resolve(), "batch_size": 5, "default_language": "ur"}
    assert params["warehouse"] == str(wh.resolve()) and params["until"] == "dedup"
    assert params["settings"] == {"batch_size": 5, "default_language": "ur"}  # the variable is left to the flow
