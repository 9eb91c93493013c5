"""Measure the viz in headless Chromium: bytes and time per Step, Play speed, Pause.

    .venv/bin/python scripts/measure_viz.py [--steps 10] [--play-seconds 2] [--json FILE]

Starts `solara run model/app.py` on 127.0.0.1 (vendored assets, offline), opens it in
Debian's chromium and reads the websocket frames through the DevTools protocol:

* page load: bytes received until the charts are drawn;
* Step: bytes received per click, and the round trip from the click's frame leaving the
  browser to the last frame of the update arriving (server work plus localhost);
* Play: ticks per second shown over a few seconds;
* Pause: months the page still showed after the one shown at the click.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from browser_helpers import CLICK_SPY, Frames, launch_chromium, shown_month, solara_server, wait_month_above  # noqa: E402,E501

APP = ROOT / "model" / "app.py"


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
            frames.settle(page, quiet=1.0)
            out["load_seconds"] = round(time.monotonic() - t0, 2)
            out["load_bytes"] = sum(s for _, s in frames.received)

            step = page.get_by_role("button", name=re.compile(r"^step$", re.I))
            sizes, waits = [], []
            for _ in range(steps):
                before = shown_month(page)
                m = frames.mark()
                step.click()
                wait_month_above(page, before)
                frames.settle(page)
                size, sent, last = frames.since(m)
                sizes.append(size)
                if sent is not None and last is not None:
                    waits.append(1000 * (last - sent))
            out["step_bytes_median"] = int(statistics.median(sizes))
            out["step_roundtrip_ms_median"] = round(statistics.median(waits), 1)

            play = page.get_by_role("button", name=re.compile(r"^(▶|play)", re.I))
            start = shown_month(page)
            t0 = time.monotonic()
            play.click()
            page.wait_for_timeout(int(play_seconds * 1000))
            now = shown_month(page)
            out["play_ticks_per_s"] = round((now - start) / (time.monotonic() - t0), 1)
            pause = page.get_by_role("button", name=re.compile(r"^(❚❚|pause)", re.I))
            # the month shown when the click happens (read in the page, not after playwright's checks)
            page.evaluate(CLICK_SPY)
            pause.click()
            frames.settle(page, quiet=1.5)
            at_click = page.evaluate("window.__monthAtClick")
            out["pause_extra_ticks"] = shown_month(page) - at_click
            page.screenshot(path=str(ROOT / ".cache" / "measure_viz.png"), full_page=True)
        finally:
            browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--play-seconds", type=float, default=2.0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    res = measure(args.steps, args.play_seconds)
    print(json.dumps(res, indent=1))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
