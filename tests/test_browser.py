"""The SolaraViz page in a real browser: headless Debian Chromium driven by Python playwright.

Starts `solara run model/app.py` on 127.0.0.1 with the vendored front-end assets, blocks
every request that leaves the machine (the page must work offline), and checks that the
charts render, that Step advances time and the charts, and that a switch rebuilds the model.
Screenshots go to the test's tmp dir (pytest --basetemp=DIR to keep them somewhere known).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser_helpers import chromium_missing_reason, launch_chromium, solara_server

APP = Path(__file__).resolve().parent.parent / "model" / "app.py"
LOAD_TIMEOUT = 120_000  # ms: the first render imports mesa/plotly in the server kernel; slow on busy CI
UPDATE_TIMEOUT = 30_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_missing_reason() is not None, reason=chromium_missing_reason() or ""),
]

CHARTS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el => ({
    title: (el.layout && el.layout.title && el.layout.title.text) || '',
    points: (el.data || []).map(t => (t.x || []).length),
}))"""


def shown_time(page) -> float:
    text = page.get_by_text(re.compile(r"^Time: ")).first.inner_text()
    return float(text.split(":", 1)[1])


def chart(page, title: str) -> dict:
    charts = page.evaluate(CHARTS_JS)
    return next(c for c in charts if c["title"].startswith(title))


def wait_for(predicate, timeout: float = UPDATE_TIMEOUT / 1000, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception:  # element being re-rendered
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_viz_page_steps_and_resets(tmp_path):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []

    def offline_only(route):
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with solara_server(APP) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1900})
            page.route("**/*", offline_only)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            missing: list[str] = []  # e.g. an asset not vendored: the server's CDN proxy answers 404
            page.on("response", lambda r: missing.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.goto(url, wait_until="domcontentloaded")

            # 1. the page shows the charts, the network view and the regulator panel
            page.wait_for_selector(".js-plotly-plot", timeout=LOAD_TIMEOUT)
            wait_for(lambda: len(page.evaluate(CHARTS_JS)) >= 5, LOAD_TIMEOUT / 1000, "5 plotly charts")
            titles = [c["title"] for c in page.evaluate(CHARTS_JS)]
            for want in ("Payment share by wallet", "Merchant reach", "Concentration (HHI)", "Multi-homing",
                         "Network sample"):
                assert any(t.startswith(want) for t in titles), (want, titles)
            page.locator("svg.main-svg").first.wait_for(timeout=UPDATE_TIMEOUT)
            page.get_by_text("Policies in force at tick 0").wait_for(timeout=UPDATE_TIMEOUT)
            assert shown_time(page) == 0
            before = chart(page, "Payment share by wallet")
            assert before["points"][0] == 1  # tick 0 only
            page.screenshot(path=str(tmp_path / "01_loaded.png"), full_page=True)

            # 2. Step three times: time advances and the charts gain the new ticks
            step = page.get_by_role("button", name=re.compile("^step$", re.I))
            for i in range(1, 4):
                step.click()
                wait_for(lambda i=i: shown_time(page) == i, what=f"Time: {i}")
            wait_for(lambda: chart(page, "Payment share by wallet")["points"][0] == 4, what="4 points in the chart")
            wait_for(lambda: chart(page, "Merchant reach")["points"][0] == 4, what="4 points in the reach chart")
            page.get_by_text("Policies in force at tick 3").wait_for(timeout=UPDATE_TIMEOUT)
            page.screenshot(path=str(tmp_path / "02_stepped.png"), full_page=True)

            # 3. a switch rebuilds the model with the new setting: time back to 0, exclusivity off
            policy = page.locator("table.wg-policy")
            assert "in force" in policy.inner_text()
            box = page.get_by_role("checkbox", name=re.compile("Exclusivity deals"))
            assert box.is_checked()
            page.locator(".v-input--checkbox", has_text="Exclusivity deals").locator("label").click()
            wait_for(lambda: not box.is_checked(), what="checkbox unchecked")
            wait_for(lambda: shown_time(page) == 0, what="Time: 0 after the switch")
            wait_for(lambda: "in force" not in policy.inner_text(), what="exclusivity off in the policy table")
            wait_for(lambda: chart(page, "Payment share by wallet")["points"][0] == 1, what="charts reset")
            page.screenshot(path=str(tmp_path / "03_switched.png"), full_page=True)

            # the new model steps too, and Mesa's Reset rebuilds it with the switch still off
            step.click()
            wait_for(lambda: shown_time(page) == 1, what="Time: 1 in the new model")
            page.get_by_role("button", name=re.compile("^reset$", re.I)).click()
            wait_for(lambda: shown_time(page) == 0, what="Time: 0 after Reset")
            assert not box.is_checked() and "in force" not in policy.inner_text()

            assert not outside, f"requests left the machine: {outside[:5]}"
            assert not errors, f"javascript errors: {errors[:5]}"
            assert not missing, f"failed requests: {missing[:5]}"
        finally:
            browser.close()
