"""The real Prefect flow (ephemeral API) from raw files into a real DuckDB warehouse."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.pipeline import etl
from khabar.cli import app
from warehouse import db_path

runner = CliRunner()


def q(wh: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db_path(wh)), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_until_dedup_loads_articles_and_leaves_later_tables_empty(seeds_dir: Path, tmp_path: Path):
    wh = tmp_path / "wh"
    summary = etl([str(seeds_dir)], settings={"warehouse": str(wh)}, until="dedup")
    assert summary["counts"]["articles"] == 3
    assert q(wh, "SELECT count(*) FROM articles WHERE duplicate_of IS NULL")[0][0] == 3
    # Every contract table exists; the NLP-and-later ones are empty after --until dedup.
    for table in ("mentions", "entities", "events", "relations", "sentences", "tokens"):
        assert q(wh, f"SELECT count(*) FROM {table}")[0][0] == 0
    texts = [r[0] for r in q(wh, "SELECT text FROM articles")]
    assert not any("مزید پڑھ" in t or "LikesVS" in t for t in texts)
    assert q(wh, "SELECT count(*) FROM articles WHERE raw_text LIKE '%LikesVS%'")[0][0] == 1  # raw kept
    assert q(wh, "SELECT count(*) FROM runs")[0][0] == 1


def test_rerun_adds_nothing_and_keeps_ids(seeds_dir: Path, tmp_path: Path):
    wh = tmp_path / "wh"
    etl([str(seeds_dir)], settings={"warehouse": str(wh)}, until="dedup")
    first = q(wh, "SELECT article_id, content_hash, run_id FROM articles ORDER BY 1")
    etl([str(seeds_dir)], settings={"warehouse": str(wh)}, until="dedup")
    assert q(wh, "SELECT article_id, content_hash, run_id FROM articles ORDER BY 1") == first
    assert q(wh, "SELECT count(*) FROM signatures")[0][0] == 3
    assert q(wh, "SELECT count(*) FROM runs")[0][0] == 2


def test_copy_in_a_later_run_is_a_duplicate_of_the_first(seeds_dir: Path, tmp_path: Path):
    wh = tmp_path / "wh"
    etl([str(seeds_dir)], settings={"warehouse": str(wh)}, until="dedup")
    original = sorted(seeds_dir.glob("*.txt"))[0]
    inbox = tmp_path / "tomorrow"
    inbox.mkdir()
    # Tomorrow's copy: same story re-published with another furniture line and a changed trailing sentence.
    lines = original.read_text(encoding="utf-8").splitlines()
    (inbox / "copy.txt").write_text("\n".join(lines[:-1] + ["تبصرہ (3)"]), encoding="utf-8")
    etl([str(inbox)], settings={"warehouse": str(wh)}, until="dedup")
    rows = q(wh, "SELECT a.duplicate_of, c.source_path FROM articles a JOIN articles c ON a.duplicate_of = c.article_id "
                 "WHERE a.source_path LIKE '%copy.txt'")
    assert rows and rows[0][1] == str(original.resolve())


def test_bad_files_are_quarantined_and_the_rest_lands(seeds_dir: Path, tmp_path: Path):
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(sorted(seeds_dir.glob("*.txt"))[0], batch / "good.txt")
    (batch / "empty.txt").write_bytes(b"")
    (batch / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (batch / "huge.txt").write_text("خبر " * 5000, encoding="utf-8")
    wh = tmp_path / "wh"
    result = runner.invoke(app, ["run", str(batch), "--warehouse", str(wh), "--until", "dedup",
                                 "--max-file-bytes", "10000"])
    assert result.exit_code == 0, result.output
    assert "quarantined 3" in result.output
    reasons = dict(q(wh, "SELECT regexp_extract(source_path, '[^/]+$'), reason FROM quarantine"))
    assert reasons == {"empty.txt": "empty", "binary.txt": "binary", "huge.txt": "oversized"}
    assert q(wh, "SELECT count(*) FROM articles")[0][0] == 1
    # The bytes of each rejected file are kept beside the warehouse.
    stored = [r[0] for r in q(wh, "SELECT stored_path FROM quarantine WHERE reason = 'binary'")]
    assert Path(stored[0]).read_bytes() == (batch / "binary.txt").read_bytes()


def test_cli_errors_are_clear(tmp_path: Path):
    missing = runner.invoke(app, ["run", str(tmp_path / "nope"), "--warehouse", str(tmp_path / "wh")])
    assert missing.exit_code == 2
    assert "nope" in missing.output and "Traceback" not in missing.output
    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    (only_bad / "empty.txt").write_bytes(b"")
    nothing = runner.invoke(app, ["run", str(only_bad), "--warehouse", str(tmp_path / "wh"), "--until", "dedup"])
    assert nothing.exit_code == 1
    assert "nothing could be loaded" in nothing.output
    no_wh = runner.invoke(app, ["query", "SELECT 1", "--warehouse", str(tmp_path / "none")])
    assert no_wh.exit_code == 2 and "no warehouse" in no_wh.output


def test_query_from_another_directory(seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    wh = tmp_path / "wh"
    etl([str(seeds_dir)], settings={"warehouse": str(wh)}, until="dedup")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = runner.invoke(app, ["query", "SELECT count(*) AS n FROM articles", "-w", str(wh), "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "3"
    denied = runner.invoke(app, ["query", "DELETE FROM articles", "-w", str(wh)])
    assert denied.exit_code == 1 and "read-only" in denied.output.lower()


def test_missing_models_is_a_clear_message_before_any_work(seeds_dir: Path, tmp_path: Path):
    result = runner.invoke(app, ["run", str(seeds_dir), "--warehouse", str(tmp_path / "wh"),
                                 "--models-dir", str(tmp_path / "no-models")])
    assert result.exit_code == 2
    assert "khabar models download" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "wh").exists()


@pytest.mark.parametrize("args,env,message", [
    (["--workers", "0"], {}, "--workers / KHABAR_WORKERS: 0 is out of range"),
    (["--dedup-threshold", "1.5"], {}, "--dedup-threshold / KHABAR_DEDUP_THRESHOLD: 1.5 is out of range"),
    (["--shingle-size", "0"], {}, "--shingle-size / KHABAR_DEDUP_SHINGLE_SIZE: 0 is out of range"),
    ([], {"KHABAR_DEDUP_NUM_PERM": "abc"}, "KHABAR_DEDUP_NUM_PERM: 'abc' is not an integer"),
])
def test_bad_settings_are_refused_before_any_work(seeds_dir: Path, stanza_dir: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch, args, env, message):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    wh = tmp_path / "wh"
    result = CliRunner().invoke(app, ["run", str(seeds_dir), "-w", str(wh), "--models-dir", str(stanza_dir), *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not wh.exists()


def test_many_bad_records_are_summarised_not_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from khabar.cli import MAX_QUARANTINE_LINES, print_summary
    bad = [{"source_path": f"x.jsonl#{i}", "stage": "ingest", "reason": "bad_json", "detail": "d"} for i in range(500)]
    summary = {"run_id": "r1", "warehouse": "wh", "counts": {"articles": 1, "quarantined": 500}, "quarantined": bad}
    import io

    from rich.console import Console

    import khabar.cli as cli_mod
    buf = io.StringIO()
    monkeypatch.setattr(cli_mod, "out", Console(file=buf, width=200))
    print_summary(summary, as_json=False)
    lines = buf.getvalue().splitlines()
    assert sum("quarantined x.jsonl" in line for line in lines) == MAX_QUARANTINE_LINES
    assert any("480 more quarantined" in line and "bad_json: 500" in line for line in lines)
