"""What a run reads of earlier runs follows its batch: filtered reads, the persistent dedup index, the inbox
memory, NLP worker sizing, and the layering that keeps stages below the flows."""
from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

import flows.serve
import schemas
from flows.nlp import TEXT_PER_EXTRA_WORKER, workers_for
from flows.pipeline import dedup_rows
from flows.serve import scan_inbox
from khabar.config import Settings
from tasks import load
from tasks.dedup import DEFAULT_CONFIG, deduplicate, lsh_layout
from warehouse import read_earlier

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _load(wh: Path, run_id: str, tables: dict[str, list[dict]]) -> None:
    for name, rows in tables.items():
        load.stage(wh, run_id, name, rows)
    load.load_run(wh, run_id)


# ---------------------------------------------------------------- the one reader of earlier-run state

def test_read_earlier_filters_to_the_given_keys(tmp_path: Path) -> None:
    wh = tmp_path / "wh"
    files = [{"file_hash": f"h{i}", "source_path": f"/in/{i}.txt", "size_bytes": i, "mtime_ns": i * 10,
              "run_id": "r1", "seen_at": NOW} for i in range(50)]
    _load(wh, "r1", {"source_files": files})
    got = read_earlier(wh, "source_files", ["file_hash", "size_bytes"], where={"file_hash": ["h3", "h7", "nope"]})
    assert sorted(got.to_pylist(), key=str) == [{"file_hash": "h3", "size_bytes": 3}, {"file_hash": "h7", "size_bytes": 7}]
    # a list of mappings: rows matching any; every column of one mapping must match
    got = read_earlier(wh, "source_files", ["file_hash"], where=[{"file_hash": ["h1"]},
                                                                 {"source_path": ["/in/2.txt", "/in/9.txt"],
                                                                  "size_bytes": [9]}])
    assert sorted(got.column("file_hash").to_pylist()) == ["h1", "h9"]
    assert read_earlier(wh, "source_files", [], where={"size_bytes": list(range(10))}).num_rows == 10  # a count
    assert read_earlier(wh, "source_files", ["file_hash"], where={"file_hash": []}).num_rows == 0  # no keys
    assert read_earlier(tmp_path / "none", "source_files", where={"file_hash": ["h1"]}).num_rows == 0


def test_read_earlier_fills_a_column_an_older_partition_lacks(tmp_path: Path) -> None:
    from warehouse import storage

    wh = tmp_path / "wh"
    load.init_warehouse(wh)
    con = storage.open_writer(wh)  # a partition as a version before mtime_ns wrote it
    con.execute("BEGIN TRANSACTION")
    con.execute("INSERT INTO source_files (file_hash) VALUES ('h')")
    storage.write_partition(con, wh, "source_files", storage.next_seq(con), "r0",
                            "SELECT 'h' AS file_hash, '/a.txt' AS source_path, 1 AS size_bytes, 'r0' AS run_id, "
                            "now() AS seen_at")
    con.execute("COMMIT")
    storage.publish(con, wh)
    con.close()
    _load(wh, "r1", {"source_files": [{"file_hash": "h2", "source_path": "/b.txt", "size_bytes": 1, "mtime_ns": 5,
                                       "run_id": "r1", "seen_at": NOW}]})
    got = read_earlier(wh, "source_files", ["source_path", "mtime_ns"], where={"source_path": ["/a.txt", "/b.txt"]})
    assert sorted(got.to_pylist(), key=str) == [{"source_path": "/a.txt", "mtime_ns": None},
                                                {"source_path": "/b.txt", "mtime_ns": 5}]
    assert read_earlier(wh, "source_files", where={"file_hash": ["h"]}).schema.names == \
        schemas.schema("source_files").names


# ---------------------------------------------------------------- cross-run dedup through the stored index

def _counter_docs(counter_dir: Path) -> list[tuple[str, str]]:
    with open(counter_dir / "docs.jsonl", encoding="utf-8") as fh:
        return [(d["id"], d["text"]) for d in map(json.loads, fh)]


def _run_dedup(wh: Path, run_id: str, batch: list[tuple[str, str]]) -> dict[str, tuple]:
    """One run's dedup as the flow does it (reading the warehouse), then its rows loaded."""
    articles = [{"article_id": a, "text": t} for a, t in batch]
    signatures, bands = dedup_rows(articles, Settings(warehouse=wh))
    _load(wh, run_id, {"signatures": signatures, "signature_bands": bands})
    return {a["article_id"]: (a["duplicate_of"], a["duplicate_score"]) for a in articles}


def test_cross_run_decisions_equal_a_full_index_and_reads_follow_the_batch(tmp_path: Path, counter_dir: Path) -> None:
    docs = _counter_docs(counter_dir)
    batches = [docs[k::4] for k in range(4)]  # a pair's two articles (listed one after the other) in two runs
    wh = tmp_path / "wh"
    stored = schemas.empty_table("signatures")
    cross_run = 0
    for k, batch in enumerate(batches):
        want = deduplicate(batch, stored, DEFAULT_CONFIG)  # today's way: an index of every stored signature
        got = _run_dedup(wh, f"r{k}", batch)
        assert got == {d.article_id: (d.duplicate_of, d.score) for d in want}
        earlier = {a for b in batches[:k] for a, _ in b}
        cross_run += sum(1 for d in want if d.duplicate_of in earlier and d.score < 1.0)
        stored = schemas.to_arrow("signatures", stored.to_pylist() + [d.signature for d in want if d.signature])
    assert cross_run >= 3, "the split must put near-duplicates in later runs than their canonicals"
    bands, _ = lsh_layout(DEFAULT_CONFIG)
    assert read_earlier(wh, "signature_bands", [], where={"article_id": stored.column("article_id").to_pylist()}
                        ).num_rows == bands * stored.num_rows

    # one new article reads the signatures of its own keys, not the ~500 stored
    from tasks.dedup import earlier_signatures, sketch_batch

    def read(table, columns, where):
        return read_earlier(wh, table, columns, where)

    sketch = sketch_batch([("new", docs[-1][1] + " تازہ")], DEFAULT_CONFIG)
    fetched, backfill = earlier_signatures(sketch, DEFAULT_CONFIG, read)
    assert backfill == [] and 0 < fetched.num_rows <= 5 < stored.num_rows // 50


def test_an_index_missing_for_stored_signatures_is_built_once(tmp_path: Path, counter_dir: Path) -> None:
    # a warehouse from before signature_bands existed: signatures, no band keys
    docs = _counter_docs(counter_dir)
    first, second = docs[0::2], docs[1::2]
    wh = tmp_path / "wh"
    old = [d.signature for d in deduplicate(first, schemas.empty_table("signatures"), DEFAULT_CONFIG) if d.signature]
    _load(wh, "old", {"signatures": old})
    want = deduplicate(second, schemas.to_arrow("signatures", old), DEFAULT_CONFIG)
    assert any(d.duplicate_of in dict(first) and d.score < 1.0 for d in want)
    assert _run_dedup(wh, "new", second) == {d.article_id: (d.duplicate_of, d.score) for d in want}
    bands, _ = lsh_layout(DEFAULT_CONFIG)
    canonical = len(old) + sum(1 for d in want if d.signature)
    assert read_earlier(wh, "signature_bands", [], where={"layout": ["p128.s3.b31.r3"]}).num_rows == bands * canonical
    # built once: the next run adds no keys for stored articles, and finds an old one through the stored keys
    articles = [{"article_id": "again", "text": " ".join(first[0][1].split()[5:])}]
    signatures, rows = dedup_rows(articles, Settings(warehouse=wh))
    assert (signatures, rows) == ([], [])
    assert articles[0]["duplicate_of"] == first[0][0] and articles[0]["duplicate_score"] < 1.0


# ---------------------------------------------------------------- the inbox remembers path, size and mtime

@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Paths read to be hashed (the real sha256_file still does the work)."""
    import tasks.ids

    seen: list[Path] = []
    real = tasks.ids.sha256_file

    def counting(path: Path) -> str:
        seen.append(Path(path))
        return real(path)

    monkeypatch.setattr(tasks.ids, "sha256_file", counting)
    return seen


def _record(wh: Path, run_id: str, *paths: Path, with_mtime: bool = True) -> None:
    from flows.pipeline import source_file_rows

    rows = source_file_rows([str(p) for p in paths], run_id=run_id)
    if not with_mtime:
        rows = [{**r, "mtime_ns": None} for r in rows]
    _load(wh, run_id, {"source_files": rows})


def test_inbox_hashes_only_new_or_changed_files(tmp_path: Path, seeds_dir: Path, hashed: list[Path]) -> None:
    inbox, wh = tmp_path / "inbox", tmp_path / "wh"
    inbox.mkdir()
    for src in sorted(seeds_dir.glob("*.txt")):
        shutil.copy(src, inbox / src.name)
    a, b, c = sorted(p.resolve() for p in inbox.iterdir())
    _record(wh, "r1", a, b)
    hashed.clear()  # recording them read them; the scan need not
    sel = scan_inbox(inbox, wh)
    assert (sel.seen, sel.new) == ([a, b], [c]) and hashed == [c]  # a and b were not read again
    hashed.clear()
    stat = b.stat()
    b.write_bytes(b.read_bytes() + "\nتازہ".encode())  # changed: new size and mtime
    os.utime(a, ns=(stat.st_atime_ns, a.stat().st_mtime_ns - 10**9))  # touched: same bytes, another mtime
    sel = scan_inbox(inbox, wh)
    assert sorted(hashed) == [a, b, c]
    assert (sel.seen, sel.new) == ([a], [b, c])  # a touched file is still known by its content


def test_inbox_rows_of_an_older_version_have_no_mtime_and_are_hashed(tmp_path: Path, seeds_dir: Path,
                                                                    hashed: list[Path]) -> None:
    inbox, wh = tmp_path / "inbox", tmp_path / "wh"
    inbox.mkdir()
    src = sorted(seeds_dir.glob("*.txt"))[0]
    shutil.copy(src, inbox / src.name)
    path = (inbox / src.name).resolve()
    _record(wh, "r1", path, with_mtime=False)
    hashed.clear()
    assert scan_inbox(inbox, wh).seen == [path] and hashed == [path]
    assert hashlib.sha256(path.read_bytes()).hexdigest() in flows.serve.seen_hashes(
        wh, [hashlib.sha256(path.read_bytes()).hexdigest(), "other"])


# ---------------------------------------------------------------- NLP worker count follows the batch

def test_nlp_workers_follow_the_batch_text() -> None:
    assert workers_for(2, 0) == 1
    assert workers_for(2, 3 * 2_500) == 1  # three articles: parsed here, no worker spawned
    assert workers_for(2, TEXT_PER_EXTRA_WORKER - 1) == 1
    assert workers_for(2, TEXT_PER_EXTRA_WORKER) == 2
    assert workers_for(8, 3 * TEXT_PER_EXTRA_WORKER) == 4
    assert workers_for(2, 100 * TEXT_PER_EXTRA_WORKER) == 2  # never more than configured
    assert workers_for(1, 100 * TEXT_PER_EXTRA_WORKER) == 1


# ---------------------------------------------------------------- layering

BELOW_FLOWS = ("tasks", "warehouse", "schemas")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_nothing_below_flows_imports_flows_or_the_cli() -> None:
    files = [p for pkg in BELOW_FLOWS for p in sorted((REPO / pkg).rglob("*.py"))]
    assert len(files) > 20
    bad = {str(p.relative_to(REPO)): sorted(m for m in _imports(p)
                                           if m == "flows" or m.startswith("flows.") or m.startswith("khabar.cli"))
           for p in files}
    assert {k: v for k, v in bad.items() if v} == {}


def test_the_layering_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from flows.pipeline import etl\n    import khabar.cli_common\n", encoding="utf-8")
    assert {"flows.pipeline", "khabar.cli_common"} <= _imports(bad)


def test_a_warehouse_from_before_the_index_and_mtime_is_migrated_and_used(tmp_path: Path, seeds_dir: Path,
                                                                         counter_dir: Path) -> None:
    import duckdb

    from warehouse import db_path, read_snapshot

    docs = _counter_docs(counter_dir)
    inbox, wh = tmp_path / "inbox", tmp_path / "wh"
    inbox.mkdir()
    shutil.copy(sorted(seeds_dir.glob("*.txt"))[0], inbox / "a.txt")
    old = [d.signature for d in deduplicate(docs[0::2], schemas.empty_table("signatures"), DEFAULT_CONFIG)
           if d.signature]
    _record(wh, "r1", (inbox / "a.txt").resolve())
    _load(wh, "r2", {"signatures": old})
    # as an older version left it: real tables of whole rows in khabar.duckdb (no partitions), no
    # signature_bands table, source_files without mtime_ns
    stored = {name: read_snapshot(wh, name) for name in ("source_files", "signatures")}
    shutil.rmtree(wh)
    wh.mkdir()
    con = duckdb.connect(str(db_path(wh)))
    for name in schemas.TABLES:
        if name != "signature_bands":
            con.execute(schemas.ddl(name))
    for name, rows in stored.items():
        con.register("old", rows)
        con.execute(f"INSERT INTO {name} SELECT * FROM old")
        con.unregister("old")
    con.execute("ALTER TABLE source_files DROP COLUMN mtime_ns")
    con.close()

    load.init_warehouse(wh)  # what every run does first
    assert scan_inbox(inbox, wh).seen == [(inbox / "a.txt").resolve()]
    want = deduplicate(docs[1::2], schemas.to_arrow("signatures", old), DEFAULT_CONFIG)
    assert _run_dedup(wh, "r3", docs[1::2]) == {d.article_id: (d.duplicate_of, d.score) for d in want}
    con = duckdb.connect(str(db_path(wh)), read_only=True)
    bands, _ = lsh_layout(DEFAULT_CONFIG)
    assert con.execute("SELECT count(*) FROM signature_bands").fetchone()[0] == bands * (
        len(old) + sum(1 for d in want if d.signature))
    assert "mtime_ns" in {r[0] for r in con.execute("DESCRIBE source_files").fetchall()}
    con.close()
