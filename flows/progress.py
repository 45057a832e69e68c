"""Stage progress hook: the flow reports each finished stage; a CLI (or anything) may listen.

The flow runs in the caller's process (ephemeral API, or a server's API with the flow called in-process),
so a plain in-process listener is enough; with a remote worker nobody listens and reports are dropped.

- ``report(stage, info)``: a stage finished; ``info`` holds its counts and ``seconds``.
- ``report_items(stage, done, total)``: optional progress inside a long stage (e.g. NLP chunks done).

``ProgressDisplay`` is the `khabar run` listener: a rich progress bar over the stages with an ETA, and one line
per finished stage with its counts and time.
"""
from __future__ import annotations

import time
from typing import Callable

Listener = Callable[[str, dict], None]
_listeners: list[Listener] = []

ITEMS = "_items"  # info key of a report_items() report: {"_items": (done, total)}

# Rough relative cost of each stage per article, for the ETA before a stage reports anything of its own.
STAGE_WEIGHTS = {"ingest": 1.0, "clean": 1.0, "dedup": 1.0, "nlp": 30.0, "link": 2.0, "events": 2.0, "load": 2.0}


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
    return ", ".join(f"{k} {v}" for k, v in info.items() if k not in ("seconds", ITEMS))


def planned_stages(until: str) -> list[str]:
    """Stages a run with --until UNTIL goes through (load always runs last)."""
    from khabar.config import STAGES

    stages = list(STAGES[: STAGES.index(until) + 1])
    return stages if stages[-1] == "load" else stages + ["load"]


class ProgressDisplay:
    """Listener that renders stage progress with rich (use as a context manager around the flow call)."""

    def __init__(self, stages: list[str], console=None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.stages = list(stages)
        self.console = console or Console(stderr=True)
        self.weights = {s: STAGE_WEIGHTS.get(s, 1.0) for s in self.stages}
        self.done: dict[str, float] = {}  # stage -> weight completed
        self.started = time.monotonic()
        self.lines: list[str] = []
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=self.console, transient=False,
        )
        self._task = self._progress.add_task(self._describe(), total=sum(self.weights.values()))

    def _next_stage(self) -> str | None:
        for s in self.stages:
            if self.done.get(s, 0.0) < self.weights[s]:
                return s
        return None

    def _describe(self) -> str:
        nxt = self._next_stage()
        return f"khabar: {nxt}…" if nxt else "khabar: done"

    def __call__(self, stage: str, info: dict) -> None:
        if stage not in self.weights:
            self.stages.append(stage)
            self.weights[stage] = 1.0
            self._progress.update(self._task, total=sum(self.weights.values()))
        if ITEMS in info:
            done, total = info[ITEMS]
            self.done[stage] = self.weights[stage] * (done / total if total else 1.0)
        else:
            self.done[stage] = self.weights[stage]
            line = f"[green]✓[/] {stage:<7} {format_counts(info)}  ({info.get('seconds', 0):.1f}s)"
            self.lines.append(line)
            self._progress.console.print(line)
        self._progress.update(self._task, completed=sum(self.done.values()), description=self._describe())

    def finish(self) -> None:
        """Stages skipped because nothing reached them (e.g. all duplicates) count as done."""
        self.done = dict(self.weights)
        self._progress.update(self._task, completed=sum(self.weights.values()), description=self._describe())

    def __enter__(self) -> "ProgressDisplay":
        add_listener(self)
        self._progress.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        remove_listener(self)
        if exc_type is None:
            self.finish()
        self._progress.stop()
