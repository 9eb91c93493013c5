"""Helpers for browser tests of Solara pages (headless Debian Chromium + Python playwright).

Offline: Solara's page loads its JS/CSS through the server's CDN proxy (/_solara/cdn/...),
which reads SOLARA_ASSETS_PROXY_CACHE_DIR first. scripts/vendor_solara_assets.sh fills that
folder from the npm registry; solara_server() runs it when the folder is not filled yet.

Usage::

    from playwright.sync_api import sync_playwright
    # tests/ has no __init__.py: pytest (default prepend import mode) puts tests/ on sys.path
    from browser_helpers import chromium_missing_reason, launch_chromium, solara_server

    pytestmark = pytest.mark.skipif(chromium_missing_reason() is not None, reason=chromium_missing_reason() or "")

    def test_page(tmp_path):
        with solara_server(APP) as url, sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page()
            page.goto(url, wait_until="networkidle")
            ...
            browser.close()
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENDOR_SCRIPT = REPO / "scripts" / "vendor_solara_assets.sh"
ASSETS_DIR = Path(os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR") or REPO / ".cache" / "solara-assets")
# the bundle every Solara page loads first; present means the core set was vendored
_ASSETS_MARKER = "@widgetti/solara-vuetify-app@10.1.1/.vendored"

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")  # Debian: apt-get install -y chromium
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_missing_reason() -> str | None:
    """A pytest skip reason when a browser test cannot run here, else None."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "python package playwright is not installed"
    return None


def solara_assets_missing_reason() -> str | None:
    """A skip reason when Solara's front-end files are neither vendored nor vendorable (no npm)."""
    import shutil

    if (ASSETS_DIR / _ASSETS_MARKER).exists() or shutil.which("npm"):
        return None
    return f"Solara assets not vendored in {ASSETS_DIR} and npm not found (apt-get install -y npm, then make viz-assets)"


def launch_chromium(playwright, **kwargs):
    """Launch the system Chromium (never a playwright-downloaded build) headless."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), **kwargs)


def ensure_solara_assets(cache_dir: Path | str = ASSETS_DIR) -> Path:
    """Vendor Solara's CDN assets into cache_dir (a no-op when already done)."""
    cache_dir = Path(cache_dir)
    if not (cache_dir / _ASSETS_MARKER).exists():
        subprocess.run(["bash", str(VENDOR_SCRIPT), str(cache_dir)], check=True, stdout=subprocess.DEVNULL)
    return cache_dir


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)  # the process group solara run leads (start_new_session)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def solara_server(
    app_path: str | os.PathLike,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    *,
    production: bool = True,
    extra_args: list[str] | None = None,
    timeout: float = 60.0,
) -> Iterator[str]:
    """Run `solara run app_path` on 127.0.0.1 and yield its base url ("http://127.0.0.1:PORT").

    Serves the vendored assets (SOLARA_ASSETS_PROXY_CACHE_DIR, vendored first if needed),
    turns off what would call out to the internet (telemetry, the pypi version check,
    opening a browser, and, in production mode, the solara.dev check iframe), and kills
    the server's whole process group on exit. `env` entries override the defaults.
    """
    port = port or free_port()
    full_env = dict(os.environ)
    full_env.setdefault("SOLARA_ASSETS_PROXY_CACHE_DIR", str(ASSETS_DIR))
    full_env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    full_env.update(env or {})
    ensure_solara_assets(full_env["SOLARA_ASSETS_PROXY_CACHE_DIR"])

    cmd = [sys.executable, "-m", "solara", "run", str(app_path), "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--no-open", "--no-check-version"]
    if production:
        cmd.append("--production")
    cmd += list(extra_args or [])

    log = tempfile.NamedTemporaryFile(prefix="solara-server-", suffix=".log", delete=False)
    proc = subprocess.Popen(cmd, env=full_env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"solara run exited with {proc.returncode}:\n{Path(log.name).read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url + "/", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"solara run did not answer on {url} in {timeout}s:\n{Path(log.name).read_text()[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        _stop(proc)
        log.close()
        with contextlib.suppress(OSError):
            os.unlink(log.name)



# -- reading a Solara page: websocket frames and the month the viz shows -----------------------

MONTH_PREFIX = re.compile(r"^(Time|Month): ")
MONTH_RE = re.compile(r"^(?:Time|Month): (\d+(?:\.\d+)?)")


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

    def settle(self, page, quiet: float = 0.4, timeout: float = 20.0) -> None:
        """Wait until no frame has arrived for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        n, last = len(self.received), time.monotonic()
        while time.monotonic() < deadline:
            page.wait_for_timeout(100)
            if len(self.received) != n:
                n, last = len(self.received), time.monotonic()
            elif time.monotonic() - last >= quiet:
                return


CLICK_SPY = """() => document.addEventListener('click', () => {
  const el = [...document.querySelectorAll('*')].find(e => e.childElementCount === 0 &&
                                                        /^(Time|Month): /.test(e.textContent));
  window.__monthAtClick = parseFloat(el.textContent.split(':')[1]);
}, {capture: true, once: true})"""


def wait_month_above(page, month: float, timeout: float = 60_000) -> None:
    """Wait until the page shows a month after ``month``."""
    page.wait_for_function(
        "t => [...document.querySelectorAll('*')].some(e => e.childElementCount === 0 && "
        "/^(Time|Month): /.test(e.textContent) && parseFloat(e.textContent.split(':')[1]) > t)",
        arg=month, timeout=timeout)


def shown_month(page) -> float:
    """The month the viz shows ("Month: 12 of 120 ...")."""
    return float(MONTH_RE.match(page.get_by_text(MONTH_PREFIX).first.inner_text()).group(1))


__all__ = [
    "ASSETS_DIR",
    "CLICK_SPY",
    "Frames",
    "shown_month",
    "wait_month_above",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "chromium_missing_reason",
    "ensure_solara_assets",
    "free_port",
    "launch_chromium",
    "solara_assets_missing_reason",
    "solara_server",
]

