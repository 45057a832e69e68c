"""How khabar's flows behave as Prefect runs: which errors retry, time limits, failure notices, logs, progress.

The policies live here, in plain functions (tests call them directly); flows/pipeline.py only names them.
- ``retry_transient``: the ``retry_condition_fn`` of the tasks that have retries. I/O errors, lock contention and
  connection errors retry; bad input and validation errors (SettingsError, ValueError, schema errors) never do.
- ``flow_time_limit`` / ``stage_limit``: settings.flow_timeout_seconds and stage_timeout_seconds; a run or stage
  over its limit ends as TimedOut (a Failed state), so the next scheduled run is not blocked behind it.
- ``notify_failure``: a flow state hook (failed, crashed, timed out) that logs one short message and POSTs it
  as JSON to settings.webhook_url.
- ``attach_project_loggers``: khabar's own loggers send their lines to the run's logs in the Prefect UI.
- ``ProgressArtifact``: a Prefect progress artifact (done / total) updated while a stage runs.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import urllib.error
import urllib.request
from typing import Any, Callable, Iterator
from uuid import UUID

from khabar.config import Settings, SettingsError

log = logging.getLogger("khabar.ops")

# Loggers of the project's packages whose lines belong in a run's logs (tasks.ingest: ingest warnings,
# khabar.nlp: the NLP summary and worker failures).
PROJECT_LOGGERS = ("khabar", "flows", "tasks", "warehouse")
WEBHOOK_TIMEOUT_SECONDS = 10.0
MAX_ERROR_CHARS = 500


# ------------------------------------------------------------------------------------------------ retries

def is_transient(exc: BaseException | None) -> bool:
    """Whether running the same work again may succeed: I/O, lock contention, a connection or server hiccup.

    Never for bad input or validation (ValueError and its kin: SettingsError, SchemaError, pydantic errors),
    nor for a stage or run that used up its time limit (running it again would take as long).
    """
    import duckdb
    import filelock
    import httpx
    from prefect.exceptions import PrefectHTTPStatusError
    from prefect.flow_engine import FlowRunTimeoutError
    from prefect.task_engine import TaskRunTimeoutError

    from tasks.ingest import InputNotFoundError

    if exc is None or isinstance(exc, (TaskRunTimeoutError, FlowRunTimeoutError, RunTimeLimit, InputNotFoundError,
                                       ValueError, TypeError, LookupError)):
        return False
    if isinstance(exc, filelock.Timeout):  # another process holds the warehouse's load lock
        return True
    if isinstance(exc, duckdb.IOException):  # e.g. 'Could not set lock on file': another DuckDB writer
        return True
    if isinstance(exc, PrefectHTTPStatusError):
        return exc.response.status_code >= 500 or exc.response.status_code == 429
    if isinstance(exc, (OSError, httpx.TransportError)):  # OSError includes ConnectionError and TimeoutError
        return True
    return is_transient(exc.__cause__) if exc.__cause__ is not None else False


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """``retry_condition_fn`` for Prefect tasks: retry only what ``is_transient`` says may succeed next time."""
    exc = state.data if isinstance(state.data, BaseException) else None
    if exc is None:
        try:
            exc = state.result(raise_on_failure=False)
        except Exception:  # no result to look at: do not retry blindly
            return False
    retry = is_transient(exc if isinstance(exc, BaseException) else None)
    if not retry:
        log.info("%s: not retrying %s (a retry cannot help)", getattr(task, "name", "task"), type(exc).__name__)
    return retry


# -------------------------------------------------------------------------------------------- time limits

class RunTimeLimit(TimeoutError):
    """The run took longer than settings.flow_timeout_seconds (Prefect records it as TimedOut)."""


@contextlib.contextmanager
def flow_time_limit(seconds: float | None) -> Iterator[None]:
    """Raise RunTimeLimit in the flow if its body takes longer than ``seconds`` (None: no limit).

    The limit is a run setting, not fixed in the @flow decorator, so a deployment's parameter form sets it too.
    Prefect's own timeout scope does the interrupting (an alarm in the main thread, which also ends a blocking
    wait, else an exception sent to the thread); the engine turns a TimeoutError out of a flow into a TimedOut
    state, exactly as for its decorator timeout.
    """
    if not seconds:
        yield
        return
    from prefect.utilities.timeout import timeout

    try:
        with timeout(seconds=seconds, timeout_exc_type=RunTimeLimit):
            yield
    except RunTimeLimit:
        raise RunTimeLimit(f"the run took longer than flow_timeout_seconds={seconds:g} "
                           "(--flow-timeout / KHABAR_FLOW_TIMEOUT_SECONDS)") from None


def stage_limit(settings: Settings) -> Callable[[Any], Any]:
    """``limit(task)``: the task with settings.stage_timeout_seconds as its Prefect timeout (unchanged if None)."""
    seconds = settings.stage_timeout_seconds

    def limit(task: Any) -> Any:
        return task.with_options(timeout_seconds=seconds) if seconds else task

    return limit


# ------------------------------------------------------------------------------------ failure notification

def failure_message(*, flow_name: str, flow_run_name: str, flow_run_id: str, state_name: str,
                    stage: str | None, error: str | None, url: str | None) -> dict[str, Any]:
    """The notice for a failed run: ``text`` (one line; what Slack-style webhooks show) plus the same as fields."""
    error = (error or "").strip()[:MAX_ERROR_CHARS] or None
    where = f" in stage {stage}" if stage else ""
    text = f"khabar: {flow_name} run {flow_run_name!r} {state_name}{where}: {error or 'no message'}"
    if url:
        text += f" {url}"
    return {"text": text, "flow": flow_name, "flow_run_name": flow_run_name, "flow_run_id": flow_run_id,
            "state": state_name, "stage": stage, "error": error, "url": url}


def post_json(url: str, payload: dict[str, Any], timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> int:
    """POST ``payload`` as JSON; returns the HTTP status (raises OSError / urllib.error.URLError on failure)."""
    request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the configured URL
        return response.status


def webhook_url(parameters: dict[str, Any]) -> str | None:
    """The run's webhook: its ``settings`` parameter, else KHABAR_WEBHOOK_URL."""
    given = parameters.get("settings") or {}
    try:
        return Settings.from_env(**(given if isinstance(given, dict) else {})).webhook_url
    except SettingsError:  # the run may have failed for this very reason: still tell someone
        return os.environ.get("KHABAR_WEBHOOK_URL") or (given.get("webhook_url") if isinstance(given, dict) else None)


def _run_outcome(flow_run_id: UUID) -> tuple[bool, str | None, str | None]:
    """(whether a subflow run failed, stage, its error message): the stage is the run's last failed task run,
    else the one still running when the run ended (a timeout); None if the run failed outside any task."""
    from prefect import get_client
    from prefect.client.schemas.filters import (FlowRunFilter, FlowRunFilterId, FlowRunFilterParentFlowRunId,
                                                TaskRunFilter, TaskRunFilterState, TaskRunFilterStateType)
    from prefect.client.schemas.objects import StateType

    with get_client(sync_client=True) as client:
        children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id])))
        if any(c.state is not None and (c.state.is_failed() or c.state.is_crashed()) for c in children):
            return True, None, None
        unfinished = TaskRunFilterStateType(any_=[StateType.FAILED, StateType.CRASHED, StateType.RUNNING])
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
                                     task_run_filter=TaskRunFilter(state=TaskRunFilterState(type=unfinished)))
    runs = sorted((r for r in runs if r.state is not None and r.start_time is not None), key=lambda r: r.start_time)
    for pick in (lambda s: s.is_failed() or s.is_crashed(), lambda s: s.is_running()):
        chosen = [r for r in runs if pick(r.state)]
        if chosen:
            return False, chosen[-1].name.rsplit("-", 1)[0], chosen[-1].state.message  # names: '<task>-<suffix>'
    return False, None, None


def notify_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Flow state hook (on_failure, on_crashed; TimedOut is a failure): one notice per failed run.

    Logged to the run (it shows in the UI) and, when a webhook URL is set, POSTed there as JSON. A run whose
    subflow failed stays quiet: the subflow (khabar-etl inside khabar-inbox) carries this hook and sent the
    notice. A webhook that cannot be reached is a warning in the log: the notice never changes the run's outcome.
    """
    from prefect.logging.loggers import flow_run_logger
    from prefect.utilities.urls import url_for

    logger = flow_run_logger(flow_run=flow_run, flow=flow)
    try:
        subflow_failed, stage, stage_error = _run_outcome(flow_run.id)
    except Exception as exc:  # noqa: BLE001 - the API may be what failed; still send what we know
        logger.warning("khabar: could not read the run's task runs for the failure notice: %s", exc)
        subflow_failed, stage, stage_error = False, None, None
    if subflow_failed:
        return
    message = failure_message(
        flow_name=flow.name, flow_run_name=flow_run.name, flow_run_id=str(flow_run.id),
        state_name=state.name, stage=stage, error=stage_error or state.message,
        url=url_for("flow-run", obj_id=flow_run.id))
    logger.error(message["text"])
    url = webhook_url(flow_run.parameters or {})
    if not url:
        return
    try:
        post_json(url, message)
    except (OSError, urllib.error.URLError, ValueError) as exc:
        logger.warning("khabar: failure notice not delivered to the webhook (%s: %s)", type(exc).__name__, exc)


# @flow keyword arguments that attach notify_failure (failed, crashed and timed-out runs).
FAILURE_HOOKS: dict[str, list[Callable[..., None]]] = {"on_failure": [notify_failure], "on_crashed": [notify_failure]}


# ------------------------------------------------------------------------------------------------- logs

class _InRun(logging.Filter):
    """Pass only records made inside a flow or task run: Prefect's API handler has no run to file others under."""

    def filter(self, record: logging.LogRecord) -> bool:
        from prefect.context import FlowRunContext, TaskRunContext

        return bool(getattr(record, "flow_run_id", None) or FlowRunContext.get() or TaskRunContext.get())


def attach_project_loggers(names: tuple[str, ...] = PROJECT_LOGGERS) -> None:
    """Send the project's log lines made during a run to that run's logs (the Prefect UI), once per process.

    The same as PREFECT_LOGGING_EXTRA_LOGGERS=khabar,flows,tasks,warehouse (Prefect's API log handler on those
    loggers) without depending on the variable being set before Prefect was imported, plus a level: our loggers
    would otherwise inherit the root's WARNING and drop the INFO summaries. Lines outside a run are not sent.
    """
    from prefect.logging.handlers import APILogHandler
    from prefect.settings import PREFECT_LOGGING_LEVEL

    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(h, APILogHandler) for h in logger.handlers):
            handler = APILogHandler()
            handler.addFilter(_InRun())
            logger.addHandler(handler)
        if logger.level == logging.NOTSET:
            logger.setLevel(PREFECT_LOGGING_LEVEL.value())


# --------------------------------------------------------------------------------------------- progress

class ProgressArtifact:
    """A Prefect progress artifact for the current flow run (nothing outside a run), kept at done / total.

    A monitoring aid: if the API refuses it, a warning is logged once and the stage goes on.
    """

    def __init__(self, key: str, description: str, total: int, done: int = 0) -> None:
        from prefect.context import FlowRunContext

        self.key, self.description, self.total = key, description, max(0, int(total))
        self.done = int(done)
        self.artifact_id: UUID | None = None
        self.broken = FlowRunContext.get() is None
        self._send(self.done)

    def percent(self) -> float:
        return 100.0 if self.total == 0 else round(100.0 * min(self.done, self.total) / self.total, 1)

    def advance(self, items: int) -> None:
        self.done += int(items)
        self._send(self.done)

    def _send(self, done: int) -> None:
        if self.broken:
            return
        from prefect.artifacts import create_progress_artifact, update_progress_artifact

        self.done = done
        description = f"{self.description}: {min(done, self.total)} / {self.total}"
        try:
            if self.artifact_id is None:
                self.artifact_id = create_progress_artifact(progress=self.percent(), key=self.key,
                                                            description=description)
            else:
                update_progress_artifact(self.artifact_id, progress=self.percent(), description=description)
        except Exception as exc:  # noqa: BLE001 - progress display must not fail the stage
            self.broken = True
            log.warning("progress artifact %s not updated (%s: %s)", self.key, type(exc).__name__, exc)
