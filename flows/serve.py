"""Scheduled runs: an `inbox` flow that processes the files of an inbox directory not seen before.

A file counts as seen when its sha256 is in the warehouse's `source_files` table (the flow records every input
file it read, loaded or quarantined, in the same transaction as its rows, with its path, size and mtime). A
file whose path, size and mtime are those recorded is known without being read again; only new or changed
files are hashed (a file rewritten with the same size and its mtime set back is taken as unchanged, as rsync
does; a copy of loaded content under a name never recorded is hashed at each scan, then found seen). So:
- new files are picked up by the next run; a file whose content was already loaded (under any name) is skipped;
- a run that crashes before its load records nothing, and the next run picks the same files up again;
- nothing in the inbox is ever deleted, moved or modified.

`serve_inbox` serves the flow with a cron schedule in a time zone (`khabar serve`); prefect.yaml at the repository
root declares the same flow as a deployment for `prefect deploy` onto a process work pool. The selection is a
plain function.
"""
from __future__ import annotations

import contextlib
import re
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection, Iterator

from prefect import flow, get_run_logger

from flows.ops import FAILURE_HOOKS
from khabar.config import Settings
from tasks.ids import file_identity
from warehouse import read_earlier

DEFAULT_CRON = "*/15 * * * *"
DEFAULT_TIMEZONE = "UTC"
DEFAULT_MIN_AGE_SECONDS = 10.0
DEPLOYMENT_NAME = "khabar-inbox"
_PLACEHOLDER = re.compile(r"{{\s*\$(\w+)\s*}}")  # prefect.yaml's environment placeholder, `{{ $KHABAR_INBOX }}`


class ScheduleError(ValueError):
    """A cron expression or time zone Prefect would reject; the message says which and why."""


def inbox_schedule(cron: str = DEFAULT_CRON, timezone: str = DEFAULT_TIMEZONE):
    """The inbox's cron schedule in an IANA time zone ('Asia/Karachi': '0 6 * * *' is 06:00 there, DST included).

    Both are checked here, before anything is registered: Prefect's `Cron` accepts any time zone name and the
    server would reject it only later.
    """
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.schedules import Cron
    from pydantic import ValidationError

    try:
        CronSchedule(cron=cron, timezone=timezone)
    except ValidationError as exc:
        raise ScheduleError("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None
    return Cron(cron, timezone=timezone)


class PathParameterError(ValueError):
    """An inbox run's path parameter is unusable: empty, relative, or a prefect.yaml placeholder never filled."""


def check_path_parameters(paths: dict[str, object]) -> None:
    """Every path an inbox run is given must be absolute (None: not given).

    A deployment's run starts in the worker's folder (the checkout): there, an empty or relative inbox would
    be the code itself. And `prefect deploy` turns a `{{ $VAR }}` of prefect.yaml whose VAR is unset into ''.
    """
    for name, value in paths.items():
        if value is None:
            continue
        text = str(value)
        found = _PLACEHOLDER.search(text)
        if found:
            raise PathParameterError(f"parameter {name} is the unfilled placeholder {found.group(0)!r}: set "
                                     f"{found.group(1)} and run `prefect deploy` again, or set the parameter in the "
                                     "deployment (UI: Deployments -> khabar-inbox -> Edit)")
        if text in ("", ".") or not Path(text).is_absolute():
            raise PathParameterError(f"parameter {name} is {text!r}, not an absolute path (a deployment's runs start "
                                     "in the worker's folder). Empty? prefect.yaml fills it from an environment "
                                     "variable that was unset when `prefect deploy` ran: set it and deploy again")


def seen_hashes(warehouse: Path, hashes: Collection[str]) -> set[str]:
    """Which of ``hashes`` an earlier run loaded (a filtered read of `source_files`; empty if none).

    The snapshot is rewritten right after each load commits; if a crash lands between the commit and the
    snapshot, the files look new once more and are re-processed, which the idempotent load makes harmless.
    """
    found = read_earlier(Path(warehouse), "source_files", columns=["file_hash"], where={"file_hash": hashes})
    return set(found.column("file_hash").to_pylist())


def remembered_files(warehouse: Path, paths: Collection[str]) -> dict[str, dict]:
    """source_path -> its `source_files` row (file_hash, size_bytes, mtime_ns), for those of ``paths`` recorded."""
    rows = read_earlier(Path(warehouse), "source_files", columns=["source_path", "file_hash", "size_bytes", "mtime_ns"],
                        where={"source_path": paths})
    return {row["source_path"]: row for row in rows.to_pylist()}


@dataclass
class InboxSelection:
    new: list[Path] = field(default_factory=list)          # to process, in path order
    seen: list[Path] = field(default_factory=list)         # content already in source_files
    repeated: list[Path] = field(default_factory=list)     # same content as an earlier file in this inbox
    unsettled: list[Path] = field(default_factory=list)    # modified less than min_age_seconds ago
    unsupported: list[Path] = field(default_factory=list)  # not a supported input type (left alone)


def scan_inbox(inbox: Path, warehouse: Path, *, min_age_seconds: float = 0.0,
               now: float | None = None) -> InboxSelection:
    """Sort the inbox's files into new / seen / repeated / unsettled / unsupported (nothing is touched)."""
    from tasks.ingest import _walk, discover_files

    inbox = Path(inbox)
    if not inbox.is_dir():
        raise NotADirectoryError(f"inbox {inbox} is not a directory")
    now = time.time() if now is None else now
    supported = set(discover_files([inbox]))
    selection = InboxSelection()
    settled: list[tuple[Path, os.stat_result]] = []
    for path in _walk([inbox]):
        if path not in supported:
            selection.unsupported.append(path)
            continue
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed while we looked (or a dangling link: its entry's times)
            if not os.path.lexists(path):
                continue
            stat = path.lstat()
        except OSError:  # a symlink loop: its entry's times (tasks.ids.file_identity records it by entry)
            stat = path.lstat()
        if now - stat.st_mtime < min_age_seconds:
            selection.unsettled.append(path)  # probably still being written; next run takes it
        else:
            settled.append((path, stat))
    remembered = remembered_files(warehouse, [str(p) for p, _ in settled])
    digests: dict[Path, str] = {}
    for path, stat in settled:
        row = remembered.get(str(path))
        if row and (row["size_bytes"], row["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns):
            digests[path] = row["file_hash"]  # recorded and unchanged: not read again
            continue
        if (identity := file_identity(path)) is not None:  # never reads a FIFO or a device
            digests[path] = identity[0]
    known = seen_hashes(warehouse, set(digests.values()))
    batch: set[str] = set()
    for path, digest in digests.items():
        if digest in known:
            selection.seen.append(path)
        elif digest in batch:
            selection.repeated.append(path)
        else:
            batch.add(digest)
            selection.new.append(path)
    return selection


def select_new_files(inbox: Path, warehouse: Path, *, min_age_seconds: float = 0.0) -> list[Path]:
    """Files in `inbox` (recursive, supported types) whose content hash no earlier run recorded."""
    return scan_inbox(inbox, warehouse, min_age_seconds=min_age_seconds).new


@flow(name="khabar-inbox", log_prints=True, **FAILURE_HOOKS)  # one notice per failed run (ops.py)
def inbox(inbox_dir: str, warehouse: str, settings: Settings | None = None, until: str = "load",
          min_age_seconds: float = DEFAULT_MIN_AGE_SECONDS) -> dict[str, Any]:
    """Run the ETL flow (as a subflow) over the inbox files not processed before.

    Args:
        inbox_dir: Folder to look in (recursive); its files are never moved, deleted or modified.
        warehouse: Warehouse folder the new files are loaded into (overrides settings.warehouse).
        settings: Run settings, as for `khabar run` (those left empty: KHABAR_* variables, then defaults).
        until: Last stage to run before the load: ingest, clean, dedup, nlp, link, events or load.
        min_age_seconds: Files modified more recently than this wait for the next run (still being written).
    """
    from flows.pipeline import etl

    logger = get_run_logger()
    given = settings.explicit() if isinstance(settings, Settings) else dict(settings or {})
    check_path_parameters({"inbox_dir": inbox_dir, "warehouse": warehouse, "models_dir": given.get("models_dir")})
    sel = scan_inbox(Path(inbox_dir), Path(warehouse), min_age_seconds=min_age_seconds)
    logger.info("inbox %s: %d new, %d already processed, %d repeated in inbox, %d still being written, "
                "%d unsupported", inbox_dir, len(sel.new), len(sel.seen), len(sel.repeated), len(sel.unsettled),
                len(sel.unsupported))
    for path in sel.unsupported:
        logger.warning("inbox: ignoring %s (unsupported file type; left in place)", path)
    for path in sel.repeated:
        logger.info("inbox: skipping %s (same content as another new file in this batch)", path)
    result: dict[str, Any] = {"new_files": [str(p) for p in sel.new], "seen": len(sel.seen),
                              "repeated": len(sel.repeated), "unsettled": len(sel.unsettled),
                              "unsupported": len(sel.unsupported), "summary": None}
    if not sel.new:
        logger.info("inbox: nothing new")
        return result
    result["summary"] = etl([str(p) for p in sel.new], settings={**given, "warehouse": str(warehouse)}, until=until)
    return result


def inbox_parameters(inbox_dir: Path, warehouse: Path, *, settings: dict[str, Any] | None = None,
                     until: str = "load", min_age_seconds: float = DEFAULT_MIN_AGE_SECONDS) -> dict[str, Any]:
    """Deployment parameters (absolute paths: the served process may run elsewhere than the caller)."""
    settings = dict(settings or {})
    if settings.get("models_dir"):
        settings["models_dir"] = str(Path(settings["models_dir"]).expanduser().resolve())
    return {"inbox_dir": str(Path(inbox_dir).resolve()), "warehouse": str(Path(warehouse).resolve()),
            "settings": settings, "until": until, "min_age_seconds": float(min_age_seconds)}


def serve_inbox(inbox_dir: Path, warehouse: Path, *, cron: str = DEFAULT_CRON, timezone: str = DEFAULT_TIMEZONE,
                settings: dict[str, Any] | None = None, until: str = "load",
                min_age_seconds: float = DEFAULT_MIN_AGE_SECONDS, name: str = DEPLOYMENT_NAME) -> None:
    """Serve the inbox flow on a cron schedule until interrupted (needs a Prefect API: PREFECT_API_URL).

    At most one inbox run at a time (runner limit 1 and deployment concurrency 1): a run that outlasts the
    cron interval delays the next one instead of racing it for the same files. The same deployment for a
    worker and a work pool instead of this process: prefect.yaml (docs/operations.md).
    """
    schedule = inbox_schedule(cron, timezone)  # reject a bad expression or zone before registering anything
    settings = dict(settings or {})
    with warm_pool(settings, until) as address:
        if address:
            settings["dask_address"] = address
        _serve(inbox_dir, warehouse, schedule, settings=settings, until=until, min_age_seconds=min_age_seconds,
               name=name)


@contextlib.contextmanager
def warm_pool(settings: dict[str, Any], until: str) -> Iterator[str | None]:
    """The worker pool the served runs share, up while serving: a local Dask cluster of settings' workers (default:
    one per core) whose processes load the Stanza pipeline, the dictionary and the lexicons once, so a tick pays no
    worker start-up; each run is handed its address as dask_address. None (no pool) when runs stop before NLP or
    a Dask scheduler is given (--dask-address: that cluster is the pool). Shut down when serving ends."""
    from khabar.config import STAGES

    cfg = Settings.from_env(**{k: v for k, v in settings.items() if k != "warehouse"})  # flags, KHABAR_*, defaults
    if cfg.dask_address or STAGES.index(until) < STAGES.index("nlp"):
        yield None
        return
    from flows.workers import warm_cluster

    with warm_cluster(cfg.workers, cfg.models_dir, (cfg.default_language or "ur",), cfg.use_gpu) as address:
        yield address


def _serve(inbox_dir: Path, warehouse: Path, schedule: Any, *, settings: dict[str, Any], until: str,
           min_age_seconds: float, name: str) -> None:
    inbox.serve(
        name=name,
        schedules=[schedule],
        parameters=inbox_parameters(inbox_dir, warehouse, settings=settings, until=until,
                                    min_age_seconds=min_age_seconds),
        description=f"khabar: process new files of {Path(inbox_dir).resolve()} into {Path(warehouse).resolve()}",
        tags=["khabar"],
        limit=1,
        global_limit=1,
        pause_on_shutdown=False,
    )
