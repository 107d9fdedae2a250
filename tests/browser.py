"""Headless Chromium for page tests: find it, dump the DOM after scripts ran, screenshot."""

import shutil
import subprocess

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromedriver():
    return shutil.which("chromedriver")


def run(page, profile, *extra, timeout=120):
    command = [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def dump_dom(page, profile):
    return run(page, profile, "--virtual-time-budget=5000", "--dump-dom").stdout


def screenshot(page, profile, png, size="1200,900"):
    run(page, profile, f"--screenshot={png}", f"--window-size={size}",
        "--virtual-time-budget=5000")
    return png
