"""Headless Chromium for page tests: find it, dump the DOM after scripts ran, screenshot,
or drive it with selenium (``webdriver``)."""

import shutil
import subprocess
import warnings

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


def webdriver():
    """A selenium-driven headless Chromium with a 1400x900 window, or None without selenium,
    Chromium or chromedriver. The caller quits it."""
    try:
        from selenium import webdriver
    except ImportError:
        return None
    if chromium() is None or chromedriver() is None:
        return None
    options = webdriver.ChromeOptions()
    options.binary_location = chromium()
    for flag in FLAGS:
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=chromedriver())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        driver = webdriver.Chrome(options=options, service=service)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    return driver


def run(page, profile, *extra, timeout=120):
    command = [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def dump_dom(page, profile):
    return run(page, profile, "--virtual-time-budget=5000", "--dump-dom").stdout


def screenshot(page, profile, png, size="1200,900"):
    run(page, profile, f"--screenshot={png}", f"--window-size={size}",
        "--virtual-time-budget=5000")
    return png
