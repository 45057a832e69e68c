"""The Dask worker plugin of ``khabar serve``'s warm pool (flows.workers.warm_cluster). A module of its own so
that importing flows.workers (every spawned pool worker does, for its initializer) does not import distributed."""
from __future__ import annotations

import logging
import os
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from flows.workers import init_worker

log = logging.getLogger("khabar.workers")


class WarmWorker(WorkerPlugin):
    """Dask worker plugin: ``init_worker`` in each worker process of the cluster, once, when it starts."""

    name = "khabar-warm-worker"

    def __init__(self, models_dir: str | None, langs: tuple[str, ...], torch_threads: int | None,
                 use_gpu: bool = False) -> None:
        self.initargs = (models_dir, tuple(langs), torch_threads, use_gpu)

    def setup(self, worker: Any) -> None:
        init_worker(*self.initargs)
        log.info("warm worker %d ready (%s)", os.getpid(), ", ".join(self.initargs[1]) or "no Stanza pipeline yet")
