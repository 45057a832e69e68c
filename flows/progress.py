"""Stage progress hook: the flow reports each finished stage; a CLI (or anything) may listen.

The flow runs in the caller's process with the ephemeral API, so a plain in-process listener is enough;
with a remote worker nobody listens and reports are dropped.
"""
from __future__ import annotations

from typing import Callable

Listener = Callable[[str, dict], None]
_listeners: list[Listener] = []


def add_listener(listener: Listener) -> None:
    _listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def report(stage: str, info: dict) -> None:
    for listener in list(_listeners):
        listener(stage, info)
