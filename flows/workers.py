"""Worker processes for the per-article stages (NLP parse, then link + events + relations): one pool, one fan-out.

A worker is a process that has loaded what the per-article work needs, once (``init_worker``): the dictionary,
its alias index and the lexicons always; the Stanza pipeline of each language given (none given: loaded at the
first chunk that parses, so a pool that only extracts cached parses never loads Stanza). Three ways to run a list
of jobs (chunks of articles), all giving the same results in job order:
- ``run_here``: one after another in this process (a small batch: no worker spawned);
- ``run_lanes``: ``lanes`` lanes pull jobs from one queue, this process (one thread) and lanes - 1 spawned
  workers of Prefect's ProcessPoolTaskRunner; a worker takes jobs once it is up (``worker-ready`` ran after its
  initializer), so no job waits behind a worker that is still starting;
- ``run_on_dask``: prefect_dask's DaskTaskRunner on a scheduler (--dask-address, or the warm cluster
  ``khabar serve`` keeps: ``warm_cluster``). A Dask worker process keeps what it loaded between tasks and, on a
  long-lived cluster, between flow runs: a tick of `khabar serve` pays no start-up once the cluster is up.
The job's task is the caller's (flows/nlp.py: ``nlp-parse``, ``nlp-extract``); nothing here knows rows.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE

log = logging.getLogger("khabar.workers")

Outcome = Any  # a job's result, or the exception its task ended with


def init_worker(models_dir: str | None, langs: tuple[str, ...], torch_threads: int | None,
                use_gpu: bool = False) -> None:
    """Pool initializer: torch threads, the Stanza pipelines of ``langs`` (errors surface in the task), then the
    dictionary, its index and the lexicons (tasks.extract.init_worker)."""
    from tasks import extract, nlp

    if models_dir is not None:  # None: a pool that only extracts (no torch import)
        nlp.init_worker(models_dir, tuple(langs), torch_threads, use_gpu)
    extract.init_worker()


@task(name="worker-ready", cache_policy=NO_CACHE, persist_result=False)
def worker_ready() -> int:
    """Runs in a pool worker after its initializer (imports, models): the worker can take jobs now."""
    return os.getpid()




@contextlib.contextmanager
def shared_api() -> Iterator[None]:
    """Make worker processes report to the Prefect API this process uses.

    With no PREFECT_API_URL, Prefect serves an ephemeral API from a local server process; a spawned worker would
    start one of its own (seconds each, and its task runs would land in a throw-away database). The client
    knows the address of the one in use (``get_client().api_url``): the workers get it as PREFECT_API_URL, the
    documented setting, through Prefect's settings context (which task runners pass on to their workers).
    """
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        yield
        return
    url = str(get_client(sync_client=True).api_url).rstrip("/")  # httpx keeps a trailing '/'
    if not url.startswith(("http://", "https://")) or "ephemeral-prefect" in url:  # an in-process app: no address
        log.warning("the ephemeral Prefect API has no address to share with worker processes (%s); each starts "
                    "its own", url)
        yield
        return
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield


@contextlib.contextmanager
def shut_down_after(pool: Any, pending: Sequence[Any] = ()) -> Iterator[Any]:
    """Enter a process-pool runner; on success, shut it down in a thread instead of waiting here.

    Worker processes take ~2 s to exit (torch, Prefect's exit hooks); every result is already in hand, so
    the flow goes on meanwhile. The thread is not a daemon: the interpreter still waits for it at exit.
    ``pending``: futures still running in the pool (a worker's ``worker-ready`` when the batch was done before the
    worker was up); the thread waits for them first: shutting the runner down while Prefect's resolver thread
    was still handing one to the executor left a worker process waiting for work forever (seen on a busy machine:
    the interpreter then hung at exit, joining it).
    """
    pool.__enter__()
    try:
        yield pool
    except BaseException:
        close_runner(pool, pending, sys.exc_info())
        raise
    close_in_thread(pool, pending)


def close_runner(runner: Any, pending: Sequence[Any] = (), exc_info: tuple = (None, None, None)) -> None:
    """Wait for ``pending`` futures (see shut_down_after), then leave the runner's context."""
    for future in list(pending):
        result(future)
    runner.__exit__(*exc_info)


def close_in_thread(runner: Any, pending: Sequence[Any] = ()) -> None:
    """close_runner in a thread that is not a daemon (the interpreter still waits for it at exit)."""
    import threading

    threading.Thread(target=close_runner, args=(runner, pending), name="khabar-pool-shutdown").start()


def result(future: Any) -> Outcome:
    """A future's result, or the exception it ended with (a crashed worker, a failed task); Ctrl-C propagates."""
    try:
        return future.result()
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        return exc


def pool_jobs_wanted(workers_ready: int, work_left: int, work_held: int) -> int:
    """How many jobs the ready pool workers should hold: one each, plus one queued each while the work not
    yet handed out (``work_left``) is more than the lanes hold (``work_held``)."""
    return workers_ready * (2 if work_left > work_held else 1)


# ------------------------------------------------------------------------------------------------ running

def run_here(jobs: Sequence[Any], run_one: Callable[[Any], Any],
             job_done: Callable[[int], None] | None = None) -> list[Outcome]:
    """Each job in this process, in order; a job whose task fails comes back as its exception."""
    out: list[Outcome] = []
    for i, job in enumerate(jobs):
        try:
            out.append(run_one(job))
        except Exception as exc:
            out.append(exc)
        if job_done is not None:
            job_done(i)
    return out


def run_lanes(jobs: Sequence[Any], sizes: Sequence[int], task_: Any, params_of: Callable[[Any, int], dict],
              lanes: int, initargs: tuple, threads: int, job_done: Callable[[int], None] | None = None,
              what: str = "per-article", pool: "LanePool | None" = None) -> list[Outcome]:
    """``lanes`` lanes pull ``jobs`` from one queue: this process (one thread) and lanes - 1 spawned workers.

    This process is a lane because it can start at once, while a spawned worker spends seconds importing
    torch/Stanza/Prefect and loading its models (docs/nlp.md). A worker gets jobs only once its ``worker-ready``
    task has run (after the pool initializer). A ready worker has a second job queued (so it does not wait for
    its next one) only while the work not yet handed out (``sizes``) is more than the lanes hold: at the end jobs
    go out one at a time, so no job sits queued behind a busy worker while another lane is idle. A worker lane
    whose task fails (e.g. the process was killed) takes no more jobs and this process does the rest.
    ``params_of(job, threads)``: the task's parameters. Returns each job's result (or exception), in job order.
    ``pool``: workers started earlier (``LanePool``: they may be up already) used instead of spawning
    lanes - 1 of them here, and left for their owner to close.
    """
    import queue
    from collections import deque

    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

    shared = pool
    todo = deque(range(len(jobs)))
    finished: queue.Queue = queue.Queue()
    outcome: dict[int, Outcome] = {}
    here = ThreadPoolTaskRunner(max_workers=1)
    if shared is None:
        pool = ProcessPoolTaskRunner(max_workers=lanes - 1, initializer=init_worker, initargs=initargs)
    else:
        pool = shared.runner
    held: dict[int, Any] = {}  # job -> runner, for jobs handed out and not back yet
    workers_ready = 0

    def launch(runner: Any) -> None:
        i = todo.popleft()
        held[i] = runner
        future = runner.submit(task_, params_of(jobs[i], threads))
        future.add_done_callback(lambda f, i=i, runner=runner: finished.put((i, runner, f)))

    def feed_pool() -> None:
        while todo and sum(1 for r in held.values() if r is pool) < pool_jobs_wanted(
                workers_ready, sum(sizes[i] for i in todo), sum(sizes[i] for i in held)):
            launch(pool)

    starting: list[Any] = []  # the workers' worker-ready futures
    started = shared.started if shared is not None else time.perf_counter()
    owned = shut_down_after(pool, starting) if shared is None else contextlib.nullcontext()
    with shared_api(), here, owned:
        launch(here)
        if shared is None:
            for _ in range(lanes - 1):  # each submit spawns one worker process; it runs after the initializer
                starting.append(pool.submit(worker_ready, {}))
        else:
            starting = list(shared.starting)  # submitted when the pool started; done already if the workers are up
        for future in starting:
            future.add_done_callback(lambda f: finished.put((None, pool, f)))
        while held:  # this process's lane always has a job while the queue has one
            i, runner, future = finished.get()
            if i is None:  # a worker is up (or failed to start: then it gets nothing)
                ready = result(future)
                if isinstance(ready, BaseException):
                    log.warning("a %s worker process failed to start (%s: %s); working here instead", what,
                                type(ready).__name__, ready)
                else:
                    workers_ready += 1
                    log.info("%s worker %s up after %.1f s (%d of %d jobs left)", what, ready,
                             time.perf_counter() - started, len(todo), len(jobs))
                    feed_pool()
                continue
            del held[i]
            outcome[i] = result(future)
            if job_done is not None:
                job_done(i)
            if runner is pool and isinstance(outcome[i], BaseException):
                workers_ready = max(0, workers_ready - 1)  # that worker is gone (or broken): it gets nothing more
            if runner is here and todo:
                launch(here)
            feed_pool()
    return [outcome[i] for i in range(len(jobs))]


class LanePool:
    """Pool workers (``run_lanes``' spawned lanes) started before their jobs exist: a run starts them when a batch
    large enough to need them is read, so they import and load their models while the batch is cleaned and
    deduplicated; ``run`` (run_lanes on them) then uses them, and ``close`` ends them (one batch's fan-outs each)."""

    def __init__(self, workers: int, initargs: tuple) -> None:
        """``initargs``: init_worker's (models_dir, langs, torch_threads, use_gpu)."""
        from prefect.task_runners import ProcessPoolTaskRunner

        self.workers, self.initargs, self.threads = int(workers), initargs, int(initargs[2])
        self.started = time.perf_counter()
        self.runner = ProcessPoolTaskRunner(max_workers=self.workers, initializer=init_worker, initargs=initargs)
        with shared_api():
            self.runner.__enter__()
            # each submit spawns one worker process; worker-ready runs after its initializer (imports, models)
            self.starting = [self.runner.submit(worker_ready, {}) for _ in range(self.workers)]

    def run(self, jobs: Sequence[Any], sizes: Sequence[int], task_: Any, params_of: Callable[[Any, int], dict],
            job_done: Callable[[int], None] | None = None, what: str = "per-article") -> list[Outcome]:
        """run_lanes on this process and these workers (they stay up: ``close`` ends them)."""
        return run_lanes(jobs, sizes, task_, params_of, self.workers + 1, self.initargs, self.threads, job_done,
                         what=what, pool=self)

    def usable(self, models_dir: str, use_gpu: bool) -> bool:
        """Whether a fan-out parsing with these models on this device can use this pool."""
        return self.initargs[0] == models_dir and self.initargs[3] == use_gpu

    def close(self) -> None:
        """End the workers, in a thread (they take ~2 s to exit; every result is in hand)."""
        close_in_thread(self.runner, self.starting)


def run_on_dask(address: str, jobs: Sequence[Any], task_: Any, params_of: Callable[[Any, int], dict],
                job_done: Callable[[int], None] | None = None) -> list[Outcome]:
    """All jobs on the Dask scheduler at ``address`` (torch threads 1 a task: Dask scales by worker processes)."""
    from prefect_dask import DaskTaskRunner

    out: list[Outcome] = []
    with shared_api(), DaskTaskRunner(address=address) as runner:
        futures = [runner.submit(task_, params_of(job, 1)) for job in jobs]
        for i, f in enumerate(futures):
            out.append(result(f))
            if job_done is not None:
                job_done(i)
    return out


# ------------------------------------------------------------------------------- a warm pool for `khabar serve`

@contextlib.contextmanager
def warm_cluster(workers: int, models_dir: Path | None, langs: tuple[str, ...] = ("ur",),
                 use_gpu: bool = False) -> Iterator[str]:
    """A local Dask cluster of ``workers`` worker processes that load the models once and stay up until the block
    ends (``khabar serve``: its flow runs are processes of their own, so the pool lives here and each run is
    handed its address as --dask-address). Yields the scheduler address."""
    from distributed import Client, LocalCluster

    from flows.warm import WarmWorker  # (its own module: a spawned pool worker never imports distributed)
    from khabar.config import default_workers
    from tasks.nlp import has_models, resolve_models_dir

    workers = max(1, int(workers))
    threads = max(1, default_workers() // workers)
    resolved = resolve_models_dir(models_dir)
    langs = tuple(lang for lang in langs if has_models(lang, resolved))
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.register_plugin(WarmWorker(str(resolved), langs, threads, use_gpu))
        pids = sorted(client.run(os.getpid).values())
        print(f"warm worker pool: {len(pids)} processes {pids} at {cluster.scheduler_address}", file=sys.stderr,
              flush=True)  # (serve's own output: its runs' logs name the processes that did their work)
        yield cluster.scheduler_address
