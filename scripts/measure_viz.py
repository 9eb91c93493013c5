"""Measure the viz in headless Chromium: bytes and time per Step, Play speed, Pause.

    .venv/bin/python scripts/measure_viz.py [--steps 10] [--play-seconds 6] [--json FILE]

Starts `solara run model/app.py` on 127.0.0.1 (vendored assets, offline), opens it in
Debian's chromium and reads the websocket frames through the DevTools protocol:

* page load: bytes received until the charts are drawn;
* Step: bytes received per click, and the time from the click's frame leaving the
  browser to the last frame of the update arriving (server work plus localhost);
* Play: ticks per second shown over a few seconds;
* Pause: ticks the model still advanced after the click reached the server.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from browser_helpers import launch_chromium, solara_server  # noqa: E402

APP = ROOT / "model" / "app.py"
TIME_RE = re.compile(r"^(Time|Month): ")
NUMBER_RE = re.compile(r"^(?:Time|Month): (\d+(?:\.\d+)?)")


class Frames:
    """Websocket frames of one page, with DevTools timestamps (seconds)."""

    def __init__(self, page):
        self.received: list[tuple[float, int]] = []
        self.sent: list[tuple[float, str]] = []
        cdp = page.context.new_cdp_session(page)
        cdp.on("Network.webSocketFrameReceived", self._received)
        cdp.on("Network.webSocketFrameSent", self._sent)
        cdp.send("Network.enable")

    def _received(self, ev):
        r = ev["response"]
        data = r.get("payloadData", "")
        size = len(base64.b64decode(data)) if r.get("opcode") == 2 else len(data.encode())
        self.received.append((ev["timestamp"], size))

    def _sent(self, ev):
        self.sent.append((ev["timestamp"], ev["response"].get("payloadData", "")))

    def mark(self) -> tuple[int, int]:
        return len(self.received), len(self.sent)

    def since(self, mark: tuple[int, int]) -> tuple[int, float | None, float | None]:
        """(bytes received, first sent timestamp, last received timestamp) after ``mark``."""
        got = self.received[mark[0]:]
        sent = self.sent[mark[1]:]
        return (sum(s for _, s in got), sent[0][0] if sent else None, got[-1][0] if got else None)


CLICK_SPY = """() => document.addEventListener('click', () => {
  const el = [...document.querySelectorAll('*')].find(e => e.childElementCount === 0 &&
                                                        /^(Time|Month): /.test(e.textContent));
  window.__monthAtClick = parseFloat(el.textContent.split(':')[1]);
}, {capture: true, once: true})"""


def shown_time(page) -> float:
    return float(NUMBER_RE.match(page.get_by_text(TIME_RE).first.inner_text()).group(1))


def settle(page, frames: Frames, quiet: float = 0.4, timeout: float = 20.0) -> None:
    """Wait until no frame has arrived for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    n = len(frames.received)
    last = time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        if len(frames.received) != n:
            n, last = len(frames.received), time.monotonic()
        elif time.monotonic() - last >= quiet:
            return


def measure(steps: int, play_seconds: float) -> dict:
    from playwright.sync_api import sync_playwright

    out: dict = {}
    with solara_server(APP) as url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1400})
            frames = Frames(page)
            t0 = time.monotonic()
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4",
                                   timeout=180_000)
            settle(page, frames, quiet=1.0)
            out["load_seconds"] = round(time.monotonic() - t0, 2)
            out["load_bytes"] = sum(s for _, s in frames.received)

            step = page.get_by_role("button", name=re.compile(r"^step$", re.I))
            sizes, waits = [], []
            for _ in range(steps):
                before = shown_time(page)
                m = frames.mark()
                step.click()
                page.wait_for_function(
                    "t => [...document.querySelectorAll('*')].some(e => e.childElementCount === 0 && "
                    "/^(Time|Month): /.test(e.textContent) && parseFloat(e.textContent.split(':')[1]) > t)",  # noqa: E501
                    arg=before, timeout=30_000)
                settle(page, frames)
                size, sent, last = frames.since(m)
                sizes.append(size)
                if sent is not None and last is not None:
                    waits.append(1000 * (last - sent))
            out["step_bytes_median"] = int(statistics.median(sizes))
            out["step_ms_median"] = round(statistics.median(waits), 1)

            play = page.get_by_role("button", name=re.compile(r"^(▶|play)", re.I))
            start = shown_time(page)
            t0 = time.monotonic()
            play.click()
            page.wait_for_timeout(int(play_seconds * 1000))
            now = shown_time(page)
            out["play_ticks_per_s"] = round((now - start) / (time.monotonic() - t0), 1)
            pause = page.get_by_role("button", name=re.compile(r"^(❚❚|pause)", re.I))
            # the month shown when the click happens (read in the page, not after playwright's checks)
            page.evaluate(CLICK_SPY)
            pause.click()
            settle(page, frames, quiet=1.5)
            at_click = page.evaluate("window.__monthAtClick")
            out["pause_extra_ticks"] = shown_time(page) - at_click
            page.screenshot(path=str(ROOT / ".cache" / "measure_viz.png"), full_page=True)
        finally:
            browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--play-seconds", type=float, default=1.5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    res = measure(args.steps, args.play_seconds)
    print(json.dumps(res, indent=1))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
