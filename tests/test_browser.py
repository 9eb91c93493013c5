"""The viz in a real browser: headless Debian Chromium driven by Python playwright.

Starts `solara run model/app.py` on 127.0.0.1 with the vendored front-end assets, blocks
every request that leaves the machine (the page must work offline), and checks: the named
tabs and the charts render and nothing covers the regulator panel; Step advances time and
the charts gain the new ticks; Play plays and Pause stops it; a policy switch applies
mid-run and is logged; a bad seed gets an inline message and the page keeps working; a
scenario added to scenarios/ appears without a restart.  It prints the bytes per Step and
the ticks per second of Play (measured, not asserted).  Screenshots go to the test's tmp
dir (pytest --basetemp=DIR to keep them somewhere known).
"""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser_helpers import (CLICK_SPY, Frames, chromium_missing_reason, launch_chromium, shown_month,
                             solara_assets_missing_reason, solara_server, wait_month_above)

from model.app import PACE_LAG

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "model" / "app.py"
LOAD_TIMEOUT = 120_000  # ms: the first render imports mesa/plotly in the server kernel; slow on busy CI
UPDATE_TIMEOUT = 60_000  # ms: generous, the machine may be busy (speed is printed, not asserted)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_missing_reason() is not None, reason=chromium_missing_reason() or ""),
    pytest.mark.skipif(solara_assets_missing_reason() is not None, reason=solara_assets_missing_reason() or ""),
]

CHARTS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el => ({
    title: (el.layout && el.layout.title && el.layout.title.text) || '',
    points: (el.data || []).map(t => (t.x || []).length),
}))"""


def chart(page, title: str) -> dict:
    return next(c for c in page.evaluate(CHARTS_JS) if c["title"].startswith(title))


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
        time.sleep(0.1)


def not_covered(page, selector: str) -> bool:
    """The element at the centre of ``selector`` is inside it (nothing drawn over it)."""
    return page.evaluate("""sel => { const el = document.querySelector(sel); const r = el.getBoundingClientRect();
        el.scrollIntoView(); const q = el.getBoundingClientRect();
        const hit = document.elementFromPoint(q.left + q.width / 2, q.top + Math.min(q.height / 2, 40));
        return r.height > 0 && el.contains(hit); }""", selector)


def test_viz_page_in_chromium(tmp_path):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []

    def offline_only(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    added = ROOT / "scenarios" / "zz_browser_test_added.toml"
    with solara_server(APP) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1500})
            page.route("**/*", offline_only)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            missing: list[str] = []  # e.g. an asset not vendored: the server's CDN proxy answers 404
            page.on("response", lambda r: missing.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            frames = Frames(page)
            page.goto(url, wait_until="domcontentloaded")

            # 1. named tabs, the charts and the regulator panel, not covered
            wait_for(lambda: len(page.evaluate(CHARTS_JS)) >= 5, LOAD_TIMEOUT / 1000, "5 plotly charts")
            titles = [c["title"] for c in page.evaluate(CHARTS_JS)]
            for want in ("Payment share by wallet", "Merchant reach", "Wallet reach", "Multi-homing",
                         "Concentration (HHI)"):
                assert any(t.startswith(want) for t in titles), (want, titles)
            tabs = page.get_by_role("tab").all_inner_texts()
            assert [t.strip().lower() for t in tabs] == ["market outcomes", "network sample"], tabs
            page.get_by_text("Policies in force now").wait_for(timeout=UPDATE_TIMEOUT)
            assert shown_month(page) == 0 and chart(page, "Payment share")["points"][0] == 1
            assert not_covered(page, ".wg-panel"), "something covers the regulator panel"
            page.screenshot(path=str(tmp_path / "01_loaded.png"), full_page=True)

            # 2. Step: time advances, the charts gain the new ticks, a few kB on the wire
            step = page.get_by_role("button", name=re.compile("^step$", re.I))
            sizes = []
            for i in range(1, 6):
                mark = frames.mark()
                step.click()
                wait_month_above(page, i - 1)
                frames.settle(page)
                sizes.append(frames.since(mark)[0])
            assert shown_month(page) == 5
            wait_for(lambda: chart(page, "Payment share")["points"][0] == 6, what="6 points in the chart")
            wait_for(lambda: chart(page, "Merchant reach")["points"][0] == 6, what="6 points in the reach chart")
            print(f"\nviz: {statistics.median(sizes):,.0f} bytes received per Step (median of 5)")
            page.screenshot(path=str(tmp_path / "02_stepped.png"), full_page=True)

            # 3. a policy switch applies mid-run: logged at the current month, no restart
            box = page.get_by_role("checkbox", name=re.compile("Exclusivity deals in force"))
            assert box.is_checked()
            page.locator(".v-input--checkbox", has_text="Exclusivity deals in force").locator("label").click()
            page.locator("table.wg-regulator", has_text="event:ban_exclusivity").first.wait_for(timeout=UPDATE_TIMEOUT)
            assert shown_month(page) == 5 and not box.is_checked()
            assert "in force" not in page.locator("table.wg-policy").first.inner_text()
            step.click()
            wait_month_above(page, 5)
            assert not box.is_checked()  # the switch shows the policy in force, tick after tick

            # 4. Play, then Pause: it stops, and the page shows at most the ticks already under way
            play = page.get_by_role("button", name=re.compile("play", re.I))
            start, t0 = shown_month(page), time.monotonic()
            play.click()
            page.wait_for_timeout(1000)  # short: at 30+ ticks/s a longer Play reaches the run's last month
            rate = (shown_month(page) - start) / (time.monotonic() - t0)
            print(f"viz: Play {rate:.1f} ticks/s in headless chromium")
            page.evaluate(CLICK_SPY)
            page.get_by_role("button", name=re.compile("pause", re.I)).click()
            frames.settle(page, quiet=1.0)
            stopped = shown_month(page)
            extra = stopped - page.evaluate("window.__monthAtClick")
            print(f"viz: Pause: {extra:.0f} more month(s) shown after the click")
            assert 0 <= extra <= PACE_LAG + 1, extra
            page.wait_for_timeout(1000)
            assert shown_month(page) == stopped, "still playing after Pause"
            assert stopped < 120 and chart(page, "Payment share")["points"][0] == stopped + 1
            page.screenshot(path=str(tmp_path / "03_paused.png"), full_page=True)

            # 5. a bad seed: an inline message, the page keeps working
            seed = page.get_by_label("Seed")
            seed.fill("not-a-seed")
            seed.press("Enter")
            page.locator(".wg-error", has_text="seed must be a whole number").wait_for(timeout=UPDATE_TIMEOUT)
            step.click()
            wait_month_above(page, stopped)
            assert len(page.evaluate(CHARTS_JS)) >= 5
            page.screenshot(path=str(tmp_path / "04_bad_seed.png"), full_page=True)

            # 6. a scenario added to scenarios/ appears without a restart, and runs
            added.write_text('extends = "baseline.toml"\nname = "zz_browser_test_added"\n')
            page.locator(".wg-scenario").click()
            page.get_by_role("option", name="zz_browser_test_added").click()
            wait_for(lambda: shown_month(page) == 0, what="a new run of the added scenario")
            page.locator(".wg-error").wait_for(state="detached", timeout=UPDATE_TIMEOUT)  # the message is gone
            assert page.get_by_label("Seed").input_value() == "42"  # the seed in use, not the bad one typed
            wait_for(lambda: chart(page, "Payment share")["points"][0] == 1, what="charts of the new run")

            # 7. the network tab
            page.get_by_role("tab", name=re.compile("network sample", re.I)).click()
            wait_for(lambda: any(c["title"].startswith("Network sample") for c in page.evaluate(CHARTS_JS)),
                     what="the network chart")
            page.get_by_text("Policies in force now").wait_for(timeout=UPDATE_TIMEOUT)
            assert not_covered(page, ".wg-panel"), "something covers the regulator panel on the network tab"
            page.screenshot(path=str(tmp_path / "05_network.png"), full_page=True)

            assert not outside, f"requests left the machine: {outside[:5]}"
            assert not errors, f"javascript errors: {errors[:5]}"
            assert not missing, f"failed requests: {missing[:5]}"
        finally:
            added.unlink(missing_ok=True)
            browser.close()
