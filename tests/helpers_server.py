"""Test helpers: a real Prefect server on 127.0.0.1, `khabar` subprocesses pointed at it, warehouse comparison.

One server per test session (started on first use, stopped at exit by killing its process group): a fresh
PREFECT_HOME keeps its SQLite database away from the user's and from other sessions'.
"""
from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

import schemas
from warehouse import db_path

REPO = Path(__file__).resolve().parent.parent
KHABAR = [sys.executable, "-m", "khabar.cli"]
SERVER_START_TIMEOUT = float(os.environ.get("KHABAR_TEST_SERVER_TIMEOUT", "240"))

# Columns that name the run (or the time) that first wrote a row: legitimately different between two
# warehouses built by different runs from the same inputs. Everything else must be equal.
RUN_COLUMNS = {"run_id", "ingested_at", "seen_at", "quarantined_at", "parsed_at"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
                "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120", "PYTHONUNBUFFERED": "1",
                "COLUMNS": "200"})
    env.update(extra)
    return env


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL, wait: float = 30.0) -> None:
    """Signal a process started with start_new_session=True and everything it started."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=wait)


@dataclass
class PrefectServer:
    home: Path
    port: int
    proc: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a client process (a `khabar` subprocess) talking to this server."""
        return base_env(PREFECT_API_URL=self.api_url, PREFECT_HOME=str(self.home), **extra)

    def start(self, timeout: float = SERVER_START_TIMEOUT, ui: bool = False) -> "PrefectServer":
        self.home.mkdir(parents=True, exist_ok=True)
        self.log = self.home / "server.log"
        env = base_env(PREFECT_HOME=str(self.home), PREFECT_SERVER_UI_ENABLED="true" if ui else "false",
                       PREFECT_UI_API_URL=self.api_url)  # the UI's default is port 4200
        env.pop("PREFECT_API_URL", None)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=str(self.home))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prefect server exited ({self.proc.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=5) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(1.0)
        self.stop()
        raise TimeoutError(f"prefect server not healthy after {timeout}s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            kill_group(self.proc, signal.SIGTERM, wait=20)
        self.proc = None

    def client(self):
        """A synchronous Prefect client bound to this server (use as a context manager)."""
        from prefect.client.orchestration import SyncPrefectClient

        return SyncPrefectClient(self.api_url)


_SHARED: PrefectServer | None = None


def shared_server() -> PrefectServer:
    """The session's server, started on first use."""
    global _SHARED
    if _SHARED is None:
        home = Path(tempfile.mkdtemp(prefix="khabar-prefect-"))
        _SHARED = PrefectServer(home=home, port=free_port()).start()
        atexit.register(_SHARED.stop)
    return _SHARED


# ---------------------------------------------------------------- khabar subprocesses

@dataclass
class Proc:
    """A `khabar` subprocess in its own session; stdout/stderr collected by threads (so it never blocks)."""
    proc: subprocess.Popen
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    def _pump(self, stream, sink: list[str]) -> None:
        for line in iter(stream.readline, ""):
            sink.append(line)
        stream.close()

    def start_pumps(self) -> "Proc":
        for stream, sink in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr)):
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()
        return self

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(self.proc)
            raise

    def output(self) -> str:
        time.sleep(0.2)  # let the pumps drain
        return "".join(self.stdout) + "\n--- stderr ---\n" + "".join(self.stderr)

    def kill(self) -> None:
        kill_group(self.proc, signal.SIGKILL)


def start_khabar(args: list[str], env: dict[str, str]) -> Proc:
    proc = subprocess.Popen([*KHABAR, *args], env=env, cwd=str(REPO), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    return Proc(proc).start_pumps()


def run_khabar(args: list[str], env: dict[str, str], timeout: float = 600) -> tuple[int, str, str]:
    p = start_khabar(args, env)
    rc = p.wait(timeout)
    time.sleep(0.2)
    return rc, "".join(p.stdout), "".join(p.stderr)


# ---------------------------------------------------------------- warehouse comparison

def table_rows(warehouse: Path, table: str) -> list[tuple]:
    """A table's rows without the first-writer columns, paths made relative to the warehouse, in key order."""
    sch = schemas.schema(table)
    cols = [c for c in sch.names if c not in RUN_COLUMNS]
    order = ", ".join(schemas.primary_key(table))
    con = duckdb.connect(str(db_path(warehouse)), read_only=True)
    try:
        rows = con.execute(f"SELECT {', '.join(chr(34) + c + chr(34) for c in cols)} FROM {table} ORDER BY {order}").fetchall()
    finally:
        con.close()
    prefix = str(Path(warehouse).resolve())
    return [tuple(v.replace(prefix, "<wh>") if isinstance(v, str) else v for v in row) for row in rows]


def warehouse_content(warehouse: Path, skip: tuple[str, ...] = ("runs",)) -> dict[str, list[tuple]]:
    return {t: table_rows(warehouse, t) for t in schemas.TABLES if t not in skip}


def duplicate_keys(warehouse: Path) -> dict[str, int]:
    """Per table: rows minus distinct primary keys (0 everywhere = no duplicates)."""
    con = duckdb.connect(str(db_path(warehouse)), read_only=True)
    try:
        out = {}
        for t in schemas.TABLES:
            pk = ", ".join(schemas.primary_key(t))
            n, d = con.execute(f"SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT {pk} FROM {t})) FROM {t}").fetchone()
            out[t] = n - d
        return out
    finally:
        con.close()


def count(warehouse: Path, table: str) -> int:
    con = duckdb.connect(str(db_path(warehouse)), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def wait_final(client, run_id, timeout: float, *procs: Proc):
    """The flow run's state once final (or the last one seen after ``timeout`` s); every given process must stay up."""
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        for p in procs:
            assert p.proc.poll() is None, p.output()
        state = client.read_flow_run(run_id).state
        if state is not None and state.is_final():
            return state
        time.sleep(2)
    return state


def wait_deployment(client, name: str, timeout: float, served: Proc):
    """The deployment ``name`` once `khabar serve` (``served``, which must stay up) has registered it, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert served.proc.poll() is None, served.output()
        try:
            return client.read_deployment_by_name(name)
        except Exception:  # not registered yet
            time.sleep(1)
    return None
