"""A run's processes end with it: Ctrl-C stops `khabar run` within seconds with one line saying what was kept, and a watchdog ends the NLP workers and the temporary Prefect server even when the main process is
killed with SIGKILL.

Why a watchdog process: a killed process runs no code, so something outside it must clean up. Its children
cannot all do it themselves: Prefect starts its temporary API server (uvicorn) with a plain Popen we do not
control, so no parent-death signal (PR_SET_PDEATHSIG, which is tied to the thread that spawned the child anyway)
can be set on it; and moving the run into a process group of its own would take it out of the terminal's
foreground group, so Ctrl-C would no longer reach it in a pipeline (`khabar run … | tee log`). The watchdog
(`python -m khabar.interrupt PID`, in a session of its own) notes every process below the run twice a second;
when the run is gone it terminates what it last saw there (checked by start time, so a reused pid is never hit).

Why a signal thread: Python runs signal handlers in the main thread only between bytecodes, and the main thread
of a run may be inside a Stanza/torch call for many seconds. Blocking SIGINT in every thread and waiting for it
in one thread (sigwait) answers at once. Child processes inherit the blocked mask, so the workers and the server
ignore the terminal's Ctrl-C; this process ends them. SIGINT landing in a thread that native libraries started
before the guard (polars', duckdb's pools) reaches a Python handler that does the same. SIGTERM is left to
Prefect, whose flow engine turns it into a Crashed run (the load is one transaction either way); it is not
blocked, since Prefect stops its server with it and the server would inherit the mask.

What was kept: stages write only to staging; the load is one transaction. Interrupted before the load, nothing
of the run is in the warehouse; during the load, the load is let finish (seconds), then the run stops.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Callable

import psutil  # process trees by pid with start times (pid reuse); already installed with dask's distributed

WAITED_SIGNALS = {signal.SIGINT}  # blocked everywhere, received by the signal thread
POLL_SECONDS = 0.5
GRACE_SECONDS = 2.0  # SIGTERM, then SIGKILL for what is still there
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


def _identity(proc: psutil.Process) -> tuple[int, float] | None:
    try:
        return proc.pid, proc.create_time()
    except psutil.Error:
        return None


def descendants(pid: int) -> list[tuple[int, float]]:
    """(pid, start time) of every process below ``pid``."""
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
    return [ident for p in children if (ident := _identity(p)) is not None]


def terminate(processes: list[tuple[int, float]], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM each process that is still the one noted (same pid and start time), SIGKILL what outlives
    ``grace`` seconds."""
    alive = []
    for pid, started in processes:
        try:
            proc = psutil.Process(pid)
            if abs(proc.create_time() - started) < 0.01:
                proc.terminate()
                alive.append(proc)
        except psutil.Error:
            continue
    _, still = psutil.wait_procs(alive, timeout=grace)
    for proc in still:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(still, timeout=grace)


def watch(parent_pid: int, parent_started: float, poll: float = POLL_SECONDS) -> None:
    """Until the parent (same pid and start time) is gone, note what runs below it; then end that."""
    me = os.getpid()

    def parent_alive() -> bool:
        try:
            parent = psutil.Process(parent_pid)
            return abs(parent.create_time() - parent_started) < 0.01 and parent.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    try:
        group, exe = os.getpgid(parent_pid), psutil.Process(parent_pid).exe()
    except (OSError, psutil.Error):
        group, exe = None, None
    seen: list[tuple[int, float]] = []
    while parent_alive():
        below = [p for p in descendants(parent_pid) if p[0] != me]
        # Keep the list only if the parent outlived the look: a parent killed just before it has had its children
        # taken over by init, and the look finds none of them (this lost the whole tree now and then).
        if not parent_alive():
            break
        seen = below
        time.sleep(poll)
    terminate(seen + [p for p in _orphans_of(group, exe, parent_started, me) if p not in seen])


def _orphans_of(group: int | None, exe: str | None, parent_started: float, me: int) -> list[tuple[int, float]]:
    """Processes the parent started after the watchdog's last look and that outlived it: a worker being spawned
    when the run was killed (seen: a spawned pool worker left running by kill -9 between two looks). They are in the
    parent's process group, run its Python and started after it (by more than a pipeline sibling would)."""
    if group is None:
        return []
    out = []
    for proc in psutil.process_iter(["pid", "ppid", "exe", "create_time"]):
        info = proc.info
        try:
            if info["pid"] == me or info["exe"] != exe or info["create_time"] < parent_started + 0.05 or \
                    os.getpgid(info["pid"]) != group:
                continue
        except (OSError, psutil.Error):
            continue
        out.append((info["pid"], info["create_time"]))
    return out


def start_watchdog() -> subprocess.Popen | None:
    """The watchdog of this process (None where it cannot start: the run goes on without it)."""
    me = psutil.Process()
    try:
        return subprocess.Popen([sys.executable, "-m", "khabar.interrupt", str(me.pid), repr(me.create_time())],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)  # not in the terminal's group: Ctrl-C must not end it
    except OSError:
        return None


class RunGuard:
    """Around a run in the CLI: the watchdog, and Ctrl-C answered by one line and a clean exit.

    Also a progress listener (flows.progress): it knows which stage runs, so that an interrupt during the load
    waits for the load to finish, and the line says whether the run was loaded.
    ``say`` prints the line (the CLI's stderr console); ``before_exit`` tidies the terminal (the progress bar
    gives the cursor back); ``exit`` ends the process (os._exit: the flow's threads and Prefect's exit hooks
    would wait on the server this has just ended)."""

    def __init__(self, stages: list[str], say: Callable[[str], None],
                 exit: Callable[[int], None] = os._exit, before_exit: Callable[[], None] | None = None) -> None:
        self.stages = list(stages)
        self.before_exit = before_exit
        self.finished: list[str] = []
        self.batches_loaded = 0  # batches of this run in the warehouse (each is loaded on its own)
        self.say = say
        self.exit = exit
        self.load_done = threading.Event()
        self.watchdog: subprocess.Popen | None = None
        self._stopping = threading.Lock()
        self._closed = threading.Event()

    # ---- progress listener
    def __call__(self, stage: str, info: dict) -> None:
        from flows.progress import ITEMS

        if ITEMS in info:
            return
        if stage == "load" and info.get("_more"):  # a batch is in; the next one starts from the first stage
            self.batches_loaded += 1
            self.finished = []
            return
        self.finished.append(stage)
        if stage == "load":
            self.load_done.set()

    def current(self) -> str | None:
        return next((s for s in self.stages if s not in self.finished), None)

    # ---- stopping
    def stop(self, signum: int) -> None:
        if not self._stopping.acquire(blocking=False):
            return  # a second signal while stopping
        name = signal.Signals(signum).name
        if self.current() == "load" and not self.load_done.is_set():
            self.say(f"{name}: finishing the load first (it is all or nothing; seconds)…")
            loaded = self.batches_loaded
            while not self.load_done.is_set() and self.batches_loaded == loaded:  # this batch's load, final or not
                self.load_done.wait(0.1)
        if self.load_done.is_set():
            line = f"interrupted ({name}) after the load: this run was loaded in full"
        elif self.batches_loaded:
            stage = self.current() or "start"
            line = (f"interrupted ({name}) during {stage} of batch {self.batches_loaded + 1}: the "
                    f"{self.batches_loaded} batch(es) before it were loaded, this one was not; run the same "
                    "command again to finish (nothing is loaded twice)")
        else:
            stage = self.current() or "start"
            line = (f"interrupted ({name}) during {stage}: nothing of this run was loaded, the warehouse is as it "
                    f"was; run the same command again to do it")
        self.say(line)
        if self.before_exit is not None:
            self.before_exit()  # e.g. the progress bar gives the terminal its cursor back
        terminate(descendants(os.getpid()))
        sys.stdout.flush()
        sys.stderr.flush()
        self.exit(EXIT_INTERRUPTED)

    def _wait_for_signals(self) -> None:
        while True:
            signum = signal.sigwait(WAITED_SIGNALS)
            if self._closed.is_set():
                return  # woken by __exit__
            self.stop(signum)

    def __enter__(self) -> "RunGuard":
        from flows import progress

        self.watchdog = start_watchdog()
        progress.add_listener(self)
        # Before any other thread starts (Prefect's, rich's): they inherit the mask, so only this thread gets it.
        self._mask = signal.pthread_sigmask(signal.SIG_BLOCK, WAITED_SIGNALS)
        self._thread = threading.Thread(target=self._wait_for_signals, name="khabar-interrupt", daemon=True)
        self._thread.start()
        # Threads that native libraries started before this (polars', duckdb's pools) do not block SIGINT: one that
        # gets it has the main thread run a Python handler. That handler may run inside the load that stop()
        # waits for: it only starts stop() in a thread.
        def in_a_thread(signum, _frame):
            threading.Thread(target=self.stop, args=(signum,), daemon=True).start()

        self._sigint = signal.signal(signal.SIGINT, in_a_thread)
        return self

    def __exit__(self, *exc) -> None:
        """Everything back as it was (the CLI may run inside a longer-lived process, e.g. a test)."""
        from flows import progress

        progress.remove_listener(self)
        self._closed.set()
        signal.pthread_kill(self._thread.ident, signal.SIGINT)  # wakes sigwait, which sees _closed
        self._thread.join(timeout=5)
        signal.signal(signal.SIGINT, self._sigint)
        signal.pthread_sigmask(signal.SIG_SETMASK, self._mask)
        if self.watchdog is not None:
            self.watchdog.terminate()
            self.watchdog.wait(timeout=5)


if __name__ == "__main__":  # the watchdog: python -m khabar.interrupt PID START_TIME
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch(int(sys.argv[1]), float(sys.argv[2]))
