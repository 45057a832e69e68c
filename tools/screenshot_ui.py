"""Screenshot of a real khabar run in the Prefect UI: stages (the run graph), logs, task runs and artifacts.

    python tools/screenshot_ui.py                       # -> docs/img/prefect-ui.png
    python tools/screenshot_ui.py --out /tmp/ui.png --seeds ../shared/seeds --models-dir ../shared/stanza_resources

What it does, with real parts only: starts `prefect server` (UI on) on a free loopback port with a throw-away
PREFECT_HOME (tests/helpers_server.py), runs `khabar run SEEDS --models-dir MODELS` against it, opens the flow
run's page in headless Chromium, clicks the Logs, Task Runs and Artifacts tabs (Chrome DevTools Protocol over a
websocket: the UI keeps its tab in component state, a URL cannot select it), and writes the three views stacked
into one PNG, composed by the same Chromium (no image library needed). Everything is stopped at the end.
Takes about two minutes on a small machine (most of it the server's start and the NLP).
"""
from __future__ import annotations

import argparse
import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.helpers_server import KHABAR, PrefectServer, free_port, kill_group  # noqa: E402

WIDTH, HEIGHT = 1440, 1250  # the browser window: the run graph, the tab bar and a screenful of each tab
TABS = {  # tab label -> text that shows its content has loaded
    "Logs": "ingest:",
    "Task Runs": "stage-tables",
    "Artifacts": "khabar-run-summary",
}
CAPTIONS = {
    "Logs": "The flow run: one bar per stage in the graph (nlp-extract: one per chunk of articles, parsed then linked and coded), then its logs",
    "Task Runs": "Task Runs: each stage's state and duration",
    "Artifacts": "Artifacts: the run report, counts, stage times, events by QuadClass, top actors, timeline",
}


class Page:
    """One Chromium tab driven over the DevTools Protocol (the few commands this script needs)."""

    def __init__(self, ws_url: str) -> None:
        from websockets.sync.client import connect

        self.ws = connect(ws_url, max_size=64 * 1024 * 1024)
        self.next_id = 0

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=120))
            if msg.get("id") == self.next_id:  # events in between are not needed
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def evaluate(self, js: str):
        result = self.call("Runtime.evaluate", expression=js, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    def wait_for_text(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(f"document.body && document.body.innerText.includes({json.dumps(text)})"):
                return
            time.sleep(0.5)
        shown = self.evaluate("document.body ? document.body.innerText : ''") or ""
        raise TimeoutError(f"the page never showed {text!r}; it shows:\n{shown[-1500:]}")

    def screenshot(self, full_page: bool = False) -> bytes:
        params: dict = {"format": "png"}
        if full_page:
            width, height = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params.update(captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        return base64.b64decode(self.call("Page.captureScreenshot", **params)["data"])

    def close(self) -> None:
        self.ws.close()


def start_chromium(profile: Path) -> tuple[subprocess.Popen, str]:
    """Headless Chromium with a DevTools port; returns the process and the websocket URL of its blank page."""
    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    if exe is None:
        raise SystemExit("no chromium on this machine (Debian: apt-get install chromium)")
    proc = subprocess.Popen([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                             "--remote-debugging-port=0", f"--user-data-dir={profile}",
                             f"--window-size={WIDTH},{HEIGHT}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    port = None
    while time.monotonic() < deadline and port is None:
        line = proc.stderr.readline()
        found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
        port = found.group(1) if found else None
        if not line and proc.poll() is not None:
            raise RuntimeError("chromium exited before opening its DevTools port")
    if port is None:
        kill_group(proc)
        raise TimeoutError("chromium did not open its DevTools port")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
        pages = [t for t in json.load(resp) if t["type"] == "page"]
    return proc, pages[0]["webSocketDebuggerUrl"]


def run_seeds(server: PrefectServer, seeds: Path, models_dir: Path, warehouse: Path) -> str:
    """A real `khabar run` against the server; returns its flow run id."""
    # Not --quiet: that lowers Prefect's log level, and the UI would have no INFO lines to show.
    done = subprocess.run([*KHABAR, "run", str(seeds), "--models-dir", str(models_dir), "-w", str(warehouse)],
                          cwd=REPO, env=server.env(), capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"khabar run failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with server.client() as client:
        [run] = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["khabar-etl"])))
        return str(run.id)


def capture_tabs(page: Page, url: str) -> dict[str, tuple[bytes, int, int]]:
    """Each tab of the run page: (screenshot, x and y of its tab), after clicking it and waiting for its content."""
    page.call("Page.enable")
    page.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1, mobile=False)
    page.call("Page.navigate", url=url)
    shots = {}
    for label, sign in TABS.items():
        tab_at = None
        deadline = time.monotonic() + 60
        while tab_at is None and time.monotonic() < deadline:  # the tab bar appears once the run has loaded
            tab_at = page.evaluate(f"""(() => {{
                const tab = [...document.querySelectorAll('button, [role=tab], a, li')]
                    .find(e => e.innerText && e.innerText.trim() === {json.dumps(label)});
                if (!tab) return null;
                tab.click();
                const box = tab.getBoundingClientRect();
                return [Math.round(box.left), Math.round(box.top)];
            }})()""")
            if tab_at is None:
                time.sleep(0.5)
        if tab_at is None:
            raise TimeoutError(f"no {label!r} tab on {url}")
        page.wait_for_text(sign)
        time.sleep(3)  # the run graph is a canvas: give it time to draw after the data arrived
        shots[label] = (page.screenshot(), *tab_at)
    return shots


def compose(page: Page, shots: dict[str, tuple[bytes, int, int]]) -> bytes:
    """The first view whole, the others from their tab bar down and right of the side bar, stacked with
    captions, as one PNG."""
    parts = []
    bar_left = min(tab_left for _, tab_left, _ in shots.values())  # the first tab's left edge: where the bar starts
    for i, (label, (png, _, tab_top)) in enumerate(shots.items()):
        data = base64.b64encode(png).decode()
        left, top = (0, 0) if i == 0 else (max(bar_left - 20, 0), max(tab_top - 12, 0))
        parts.append(f'<figure><figcaption>{i + 1}. {CAPTIONS[label]}</figcaption>'
                     f'<div class="crop" style="height:{HEIGHT - top}px;width:{WIDTH - left}px">'
                     f'<img src="data:image/png;base64,{data}" style="margin:-{top}px 0 0 -{left}px"></div></figure>')
    html = ("<!doctype html><meta charset=utf-8><style>"
            "body{margin:0;background:#111318;font:600 22px system-ui,sans-serif;color:#e8e8e8}"
            "figure{margin:0 0 18px}figcaption{padding:14px 20px}"
            f".crop{{overflow:hidden}}img{{display:block;width:{WIDTH}px}}"
            "</style><body>" + "".join(parts) + "</body>")
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False, encoding="utf-8") as f:
        f.write(html)
    page.call("Page.navigate", url=Path(f.name).as_uri())
    page.wait_for_text(CAPTIONS["Artifacts"])
    time.sleep(1)
    try:
        return page.screenshot(full_page=True)
    finally:
        Path(f.name).unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=Path, default=REPO.parent / "shared" / "seeds")
    parser.add_argument("--models-dir", type=Path, default=REPO.parent / "shared" / "stanza_resources")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img" / "prefect-ui.png")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="khabar-ui-shot-"))
    server = PrefectServer(home=work / "prefect", port=free_port())
    browser = None
    try:
        print(f"starting prefect server on {server.ui_url} …", flush=True)
        server.start(ui=True)
        print("khabar run on the seeds …", flush=True)
        run_id = run_seeds(server, args.seeds.resolve(), args.models_dir.resolve(), work / "wh")
        run_url = f"{server.ui_url}/runs/flow-run/{run_id}"
        print(f"screenshots of {run_url} …", flush=True)
        browser, ws_url = start_chromium(work / "chromium")
        page = Page(ws_url)
        png = compose(page, capture_tabs(page, run_url))
        page.close()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(png)
        print(f"wrote {args.out} ({len(png) // 1024} KiB)")
    finally:
        if browser is not None:
            kill_group(browser)
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
