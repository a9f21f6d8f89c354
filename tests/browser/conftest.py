"""A real Streamlit server and Debian's Chromium, driven by Playwright."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from simulator.core.settings import ROOT

CHROMIUM = "/usr/bin/chromium"
USER, PASSWORD = "tess", "a long enough password"


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("PRACTICUM_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed (CI installs it and requires it)")
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(db: Path) -> tuple[str, subprocess.Popen]:
    """`streamlit run serve.py` (the pages plus the sign-in cookie routes) on the offline engine with
    database `db`; its URL once healthy."""
    port = _free_port()
    env = {**os.environ, "PRACTICUM_DB": str(db), "PRACTICUM_ENGINE": "offline"}
    streamlit = shutil.which("streamlit", path=os.path.dirname(sys.executable)) or "streamlit"
    proc = subprocess.Popen(
        [streamlit, "run", "serve.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode() == "ok":
                    return url, proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            pytest.fail(f"streamlit did not become healthy:\n{out}")
        time.sleep(0.3)


def stop_app(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def app_server(tmp_path):
    """A fresh database with one admin account, and the app serving it; yield its URL."""
    env = {**os.environ, "PRACTICUM_DB": str(tmp_path / "browser.db")}
    subprocess.run([sys.executable, "-m", "simulator", "users", "add", "--username", USER, "--role", "admin"],
                   input=PASSWORD + "\n", text=True, cwd=ROOT, env=env, check=True, capture_output=True)
    url, proc = start_app(tmp_path / "browser.db")
    yield url
    stop_app(proc)


def auth_cookie(page) -> dict | None:
    return next((c for c in page.context.cookies() if c["name"] == "practicum_auth"), None)


def wait_for_sign_in_cookie(page, seconds: float = 30) -> None:
    """After a sign-in the page swaps a one-time code for the HttpOnly sign-in cookie (set by the
    server's /auth/cookie response) and reloads; wait for the cookie and the reloaded page."""
    deadline = time.monotonic() + seconds
    while not auth_cookie(page):
        assert time.monotonic() < deadline, "the sign-in cookie was never set"
        page.wait_for_timeout(200)
    page.wait_for_load_state()
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
