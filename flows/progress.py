"""Stage progress hook: the flow reports each finished stage; a CLI (or anything) may listen.

The flow runs in the caller's process (ephemeral API, or a server's API with the flow called in-process),
so a plain in-process listener is enough; with a remote worker nobody listens and reports are dropped.

- ``report(stage, info)``: a stage finished; ``info`` holds its counts and ``seconds``.
- ``report_items(stage, done, total)``: optional progress inside a long stage (e.g. NLP chunks done).

``ProgressDisplay`` is the `khabar run` listener: a rich progress bar over the stages with an ETA, and one line
per finished stage with its counts and time.
"""
from __future__ import annotations

import io
import json
import logging
import sys
import time
from pathlib import Path
from typing import Callable

from warehouse import write_atomic

Listener = Callable[[str, dict], None]
_listeners: list[Listener] = []

ITEMS = "_items"  # info key of a report_items() report: {"_items": (done, total)}

# Guesses (fixed seconds, seconds per document) before a warehouse has timings of its own runs.
DEFAULT_COST = {"ingest": (0.1, 0.005), "clean": (0.1, 0.02), "dedup": (0.2, 0.01), "nlp": (20.0, 3.0),
                "link": (1.0, 0.1), "events": (0.5, 0.1), "load": (0.5, 0.02)}
HISTORY_FILE = ".stage-times.json"  # in the warehouse: recent (documents, seconds) per stage, for the ETA
HISTORY_KEEP = 20


def add_listener(listener: Listener) -> None:
    _listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def report(stage: str, info: dict) -> None:
    for listener in list(_listeners):
        listener(stage, info)


def report_items(stage: str, done: int, total: int) -> None:
    """Progress inside a stage: `done` of `total` items (chunks, articles) finished."""
    report(stage, {ITEMS: (int(done), int(total))})


def format_counts(info: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in info.items() if k != "seconds" and not k.startswith("_"))


def planned_stages(until: str) -> list[str]:
    """Stages a run with --until UNTIL goes through (load always runs last)."""
    from khabar.config import STAGES

    stages = list(STAGES[: STAGES.index(until) + 1])
    return stages if stages[-1] == "load" else stages + ["load"]


def load_history(path: Path | None) -> dict[str, list[list[float]]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8")) if path else {}
        return {k: [[float(d), float(t)] for d, t in v] for k, v in data.items()}
    except (OSError, ValueError, TypeError):
        return {}


def save_history(path: Path, history: dict[str, list[list[float]]]) -> None:
    """Best effort (atomic replace); a read-only or missing warehouse just keeps no history."""
    try:
        write_atomic(Path(path), json.dumps({k: v[-HISTORY_KEEP:] for k, v in history.items()}))
    except OSError:
        pass


def expected_seconds(stage: str, documents: int, history: dict[str, list[list[float]]]) -> float:
    """Seconds a stage should take for `documents`: a line fitted to this warehouse's recent runs of the stage
    (fixed cost + cost per document), or the default guess without history."""
    points = history.get(stage, [])
    fixed, per_doc = DEFAULT_COST.get(stage, (0.5, 0.05))
    if len(points) == 1:
        d, t = points[0]
        share = fixed / (fixed + per_doc * max(d, 1)) if (fixed + per_doc * max(d, 1)) else 0.5
        fixed, per_doc = t * share, t * (1 - share) / max(d, 1)
    elif points:
        n = len(points)
        mx = sum(d for d, _ in points) / n
        my = sum(t for _, t in points) / n
        var = sum((d - mx) ** 2 for d, _ in points)
        if var > 0:
            per_doc = max(0.0, sum((d - mx) * (t - my) for d, t in points) / var)
            fixed = max(0.0, my - per_doc * mx)
        else:
            fixed, per_doc = my * 0.5, my * 0.5 / max(mx, 1)
    return fixed + per_doc * max(documents, 0)


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-:--:--"
    seconds = int(round(max(seconds, 0)))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ProgressDisplay:
    """Listener that renders stage progress with rich (use as a context manager around the flow call).

    The ETA: expected seconds of the stages still to run for this many documents (from the warehouse's own
    stage timings when it has some, see `expected_seconds`), corrected by how long the running stage has taken
    so far, or by its item progress when it reports any (`report_items`).
    """

    def __init__(self, stages: list[str], console=None, history_path: Path | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.stages = list(stages)
        self.console = console or Console(stderr=True)
        self.history_path = Path(history_path) if history_path else None
        self.history = load_history(self.history_path)
        self.clock = clock
        self.documents: int | None = None
        self.finished: dict[str, float] = {}  # stage -> seconds it took
        self.fraction: dict[str, float] = {}  # running stage -> items done / total
        self.stage_started = clock()
        self.lines: list[str] = []
        display = self

        class EtaColumn(TextColumn):
            def render(self, task):  # recomputed on every refresh
                self.text_format = f"ETA {format_seconds(display.eta())}"
                return super().render(task)

        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("elapsed"), TimeElapsedColumn(), EtaColumn(""),
            console=self.console, transient=False,
        )
        self._task = self._progress.add_task(self._describe(), total=100.0)

    # ------------------------------------------------------------ estimates
    def _docs(self) -> int:
        return self.documents if self.documents is not None else 0

    def current(self) -> str | None:
        return next((s for s in self.stages if s not in self.finished), None)

    def expected(self, stage: str) -> float:
        return expected_seconds(stage, self._docs(), self.history)

    def eta(self) -> float | None:
        """Seconds left; None until the number of documents is known (after ingest)."""
        cur = self.current()
        if cur is None:
            return 0.0
        if self.documents is None:
            return None
        in_stage = self.clock() - self.stage_started
        frac = self.fraction.get(cur, 0.0)
        if 0 < frac < 1:
            left = in_stage * (1 - frac) / frac
        else:
            left = max(self.expected(cur) - in_stage, 0.0)
        later = self.stages[self.stages.index(cur) + 1:]
        return left + sum(self.expected(s) for s in later)

    def percent(self) -> float:
        total = sum(self.finished.get(s) or self.expected(s) for s in self.stages) or 1.0
        done = sum(self.finished.values())
        cur = self.current()
        if cur is not None:
            done += self.expected(cur) * self.fraction.get(cur, 0.0)
        return min(100.0, 100.0 * done / total)

    def _describe(self) -> str:
        cur = self.current()
        return f"khabar: {cur}…" if cur else "khabar: done"

    # ------------------------------------------------------------ listener
    def __call__(self, stage: str, info: dict) -> None:
        if stage not in self.stages:
            self.stages.append(stage)
        if ITEMS in info:
            done, total = info[ITEMS]
            self.fraction[stage] = done / total if total else 1.0
        else:
            seconds = float(info.get("seconds", self.clock() - self.stage_started))
            self.finished[stage] = seconds
            self.stage_started = self.clock()
            if stage == "ingest" and "documents" in info:
                self.documents = int(info["documents"])
            line = f"[green]✓[/] {stage:<7} {format_counts(info)}  ({seconds:.1f}s)"
            self.lines.append(line)
            self._progress.console.print(line)
        self._progress.update(self._task, completed=self.percent(), description=self._describe())

    def finish(self) -> None:
        """Stages skipped because nothing reached them (e.g. all duplicates) count as done."""
        if self.history_path is not None and self.documents is not None:
            for stage, seconds in self.finished.items():
                self.history.setdefault(stage, []).append([float(self.documents), round(seconds, 3)])
            save_history(self.history_path, self.history)
        for stage in self.stages:
            self.finished.setdefault(stage, 0.0)
        self._progress.update(self._task, completed=100.0, description=self._describe())

    def abandon(self) -> None:
        """Stop drawing at once (the run is being interrupted): the bar stays as it was and the terminal gets its
        cursor back (the process then ends without running __exit__)."""
        self._progress.stop()

    def __enter__(self) -> "ProgressDisplay":
        add_listener(self)
        self.stage_started = self.clock()
        self._rerouted = route_log_handlers(self._progress.console)  # before start() swaps sys.stderr
        self._progress.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        remove_listener(self)
        restore_log_handlers(self._rerouted)
        if exc_type is None:
            self.finish()
        self._progress.stop()


def _console_handlers() -> list[logging.Handler]:
    """Handlers that write to the terminal (stderr/stdout), on the root logger and every configured logger."""
    loggers = [logging.getLogger()] + [lg for lg in logging.Logger.manager.loggerDict.values()
                                       if isinstance(lg, logging.Logger)]
    found: list[logging.Handler] = []
    for lg in loggers:
        for h in lg.handlers:
            stream = getattr(getattr(h, "console", None), "file", None) or getattr(h, "stream", None)
            stream = getattr(stream, "rich_proxied_file", stream)  # sys.stderr while another live display runs
            if h not in found and stream in (sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__):
                found.append(h)
    return found


class LinesThroughConsole(io.TextIOBase):
    """A stream that prints each whole line through a rich Console, so a live bar on that console is cleared
    before the line and redrawn after it. Like rich's FileProxy, which rich Consoles unwrap (rich_proxied_file)
    and so cannot be handed to the Console of Prefect's log handler; ANSI colours pass through."""

    def __init__(self, console, original) -> None:
        self.console, self.original, self._partial = console, original, ""

    def write(self, text: str) -> int:
        from rich.text import Text

        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            self.console.print(Text.from_ansi(line), soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        if self._partial:
            self.write("\n")

    def isatty(self) -> bool:  # the handler's console keeps colouring as it would on the terminal
        return self.original.isatty()


def route_log_handlers(console) -> list[tuple[logging.Handler, object]]:
    """Send terminal log handlers through ``console`` while a live bar is drawn on it, so that a log line is
    printed above the bar and the bar redrawn below it; Prefect's console handler keeps a stream of its own,
    which Live's redirection of sys.stderr does not reach. Returns what to give to `restore_log_handlers`."""
    rerouted = []
    for h in _console_handlers():
        inner = getattr(h, "console", None)  # PrefectConsoleHandler prints through its own rich Console
        if inner is not None:
            rerouted.append((h, inner.file))
            inner.file = LinesThroughConsole(console, inner.file)
        else:
            rerouted.append((h, h.setStream(LinesThroughConsole(console, h.stream))))
    return rerouted


def restore_log_handlers(rerouted: list[tuple[logging.Handler, object]]) -> None:
    for h, stream in rerouted:
        inner = getattr(h, "console", None)
        if inner is not None:
            inner.file.flush()
            inner.file = stream  # type: ignore[assignment]
        else:
            h.flush()
            h.setStream(stream)
