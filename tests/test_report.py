"""`khabar report` (one self-contained HTML file) and `khabar export`, on a real warehouse of the seeds.

The report is rendered in headless Chromium (Debian's `chromium`; .ci/run installs it): no console errors, every
chart drew marks, the Urdu evidence is present and right-to-left, and a screenshot is saved (to tmp; set
KHABAR_REPORT_SCREENSHOT=docs/img/report.png to refresh the README's picture).
"""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from lxml import html as lxml_html
from typer.testing import CliRunner

from khabar.cli import app
from warehouse import connect_readonly
from warehouse.report import GDELT_COLUMNS

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent
ARABIC = re.compile(r"[\u0600-\u06FF]")


@pytest.fixture(scope="module")
def seeds_wh(tmp_path_factory, seeds_dir, stanza_dir) -> Path:
    wh = tmp_path_factory.mktemp("report") / "wh"
    proc = subprocess.run([sys.executable, "-m", "khabar.cli", "run", str(seeds_dir), "--models-dir", str(stanza_dir),
                           "--warehouse", str(wh), "--workers", "1"], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return wh


@pytest.fixture(scope="module")
def report_file(seeds_wh, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report.html"
    result = runner.invoke(app, ["report", "-w", str(seeds_wh), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no chromium on this machine (.ci/run installs Debian's chromium)")


def run_chromium(page: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
           f"--user-data-dir={tmp / 'profile'}", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=8000",
           *args, page.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_report_renders_in_headless_chromium(report_file: Path, tmp_path: Path):
    page = report_file.read_text(encoding="utf-8")
    # self-contained: nothing is fetched at view time
    assert "<script src" not in page and "<link" not in page and "@import" not in page
    assert len(page.encode("utf-8")) < 5_000_000

    proc = run_chromium(report_file, tmp_path, "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-3000:]
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line]
    errors = [line for line in console if re.search(r"uncaught|error|khabar chart", line, re.I)]
    assert not errors, errors

    dom = lxml_html.fromstring(proc.stdout)
    charts = dom.xpath('//div[contains(@class, "chart")]')
    assert {c.get("id") for c in charts} == {"chart-timeline", "chart-network", "chart-heatmap"}
    for chart in charts:
        assert chart.get("data-rendered") == "ok", chart.get("id")
        marks = chart.xpath('.//*[local-name()="g"][contains(@class, "role-mark")]'
                            '//*[local-name()="path" or local-name()="line" or local-name()="text"]')
        assert len(marks) >= 3, (chart.get("id"), len(marks))
    assert dom.body.get("data-charts") == "done"

    # the Urdu evidence sentences: present, right-to-left, with the trigger and the actors highlighted
    evidence = dom.xpath('//p[contains(@class, "evidence")]')
    assert len(evidence) >= 10
    for p in evidence:
        assert p.get("dir") == "rtl" and p.get("lang") == "ur"
        assert ARABIC.search(p.text_content())
    triggers = [m.text_content() for m in dom.xpath('//p[@dir="rtl"]//mark[@class="trigger"]')]
    assert any("ملاقات" in t for t in triggers)
    assert any("بیلوسوف" in m.text_content() for m in dom.xpath('//p[@dir="rtl"]//mark[@class="actor"]'))
    # English names beside the Urdu ones; every spelling of Kim Jong Un in the entities table
    assert "Kim Jong Un" in proc.stdout and "Vladimir Putin" in proc.stdout
    kim = [row for row in dom.xpath("//tr") if row.xpath("./td[1]") and
           row.xpath("./td[1]")[0].text_content().strip() == "Kim Jong Un"]
    assert kim and len(kim[0].xpath("./td[last()]")[0].text_content().split("،")) >= 4

    shot = Path(os.environ.get("KHABAR_REPORT_SCREENSHOT", tmp_path / "report.png"))
    shot.parent.mkdir(parents=True, exist_ok=True)
    proc = run_chromium(report_file, tmp_path, f"--screenshot={shot.resolve()}", "--window-size=1400,2400")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


@pytest.mark.slow
def test_report_filters(seeds_wh: Path):
    from warehouse.report import UnknownActor, build_report, events_rows, Filters

    con = connect_readonly(seeds_wh)
    try:
        everything = events_rows(con)
        kim = events_rows(con, Filters(actors=("kim jong un",)))
        assert 0 < len(kim) < len(everything)
        assert all("Kim Jong Un" in (r["Actor1Name"], r["Actor2Name"]) for r in kim)
        assert len(events_rows(con, Filters(actors=("PRKGOV",)))) >= len(kim)
        assert events_rows(con, Filters(since=__import__("datetime").date(2030, 1, 1))) == []
        page = build_report(con, actors=["Kim Jong Un"])
        assert "actors: Kim Jong Un" in page
        with pytest.raises(UnknownActor):
            build_report(con, actors=["nobody at all"])
    finally:
        con.close()


@pytest.mark.slow
def test_export_formats_parse(seeds_wh: Path, tmp_path: Path):
    for fmt, reader in (("gexf", nx.read_gexf), ("graphml", nx.read_graphml)):
        out = tmp_path / f"net.{fmt}"
        result = runner.invoke(app, ["export", "--format", fmt, "-w", str(seeds_wh), "--out", str(out)])
        assert result.exit_code == 0, result.output
        g = reader(out)
        assert g.is_directed() and g.number_of_nodes() >= 5 and g.number_of_edges() >= 5
        assert any(d.get("name") == "Kim Jong Un" for _n, d in g.nodes(data=True))
        assert all(int(d["events"]) >= 1 for _u, _v, d in g.edges(data=True))

    result = runner.invoke(app, ["export", "--format", "csv", "-w", str(seeds_wh)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    con = connect_readonly(seeds_wh)
    asserted = con.execute("SELECT count(*) FROM events WHERE NOT is_negated "
                           "AND coalesce(modality, 'asserted') = 'asserted'").fetchone()[0]
    con.close()
    assert len(rows) == asserted
    assert list(rows[0]) == list(GDELT_COLUMNS) and rows[0]["GLOBALEVENTID"].startswith("ev")

    result = runner.invoke(app, ["export", "--format", "csv", "--what", "network", "-w", str(seeds_wh)])
    assert result.exit_code == 0 and result.stdout.startswith("source,target,")


def test_missing_or_empty_warehouse_is_a_clear_error(tmp_path: Path):
    from tasks.load import init_warehouse

    for command in (["report"], ["export", "--format", "gexf"]):
        result = runner.invoke(app, [*command, "-w", str(tmp_path / "nowhere")])
        assert result.exit_code == 2, result.output
        said = " ".join(result.output.split())  # rich wraps at the terminal's width
        assert "no warehouse at" in said and "Traceback" not in said

        empty = tmp_path / "empty"
        init_warehouse(empty)
        result = runner.invoke(app, [*command, "-w", str(empty)])
        assert result.exit_code == 2, result.output
        said = " ".join(result.output.split())
        assert "no articles in this warehouse" in said and "Traceback" not in said
    assert not (tmp_path / "empty" / "report.html").exists()


def test_report_of_a_warehouse_without_events(seeds_dir: Path, tmp_path: Path):
    from flows.pipeline import etl
    from warehouse.report import build_report

    wh = tmp_path / "wh"
    etl([str(seeds_dir)], settings={"warehouse": str(wh)}, until="dedup")
    con = connect_readonly(wh)
    try:
        page = build_report(con)
    finally:
        con.close()
    assert "No dated asserted events" in page and "No asserted events with both actors" in page
    assert 'id="khabar-specs">{}<' in page  # no chart to draw, nothing that could fail
    result = runner.invoke(app, ["export", "--format", "csv", "-w", str(wh)])
    assert result.exit_code == 0 and result.stdout.strip() == ",".join(GDELT_COLUMNS)


def test_warm_up_leaves_a_process_ready_to_render(tmp_path: Path):
    """A run calls warm_up in a thread while its workers parse (flows.pipeline.RunState.warm_report): it renders
    a chart there (vl-convert starts its JavaScript engine) and leaves the report's libraries imported."""
    code = ("import sys, threading\n"
            "from warehouse.report import warm_up\n"
            "assert 'altair' not in sys.modules and 'vl_convert' not in sys.modules\n"
            "t = threading.Thread(target=warm_up); t.start(); t.join()\n"
            "print('altair' in sys.modules, 'networkx' in sys.modules, 'vl_convert' in sys.modules)\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True", "True"]
