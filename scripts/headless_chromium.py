"""What the browser checks share: finding Chromium and chromedriver, starting a headless
Chromium that reaches every host under the root domain on 127.0.0.1, and the failure they
report. Imported by browser_check.py and dashboard_check.py (from their own folder).
"""

import os
import shutil

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service


class CheckFailed(Exception):
    pass


def find_executable(name, environment_variable, fallbacks):
    override = os.environ.get(environment_variable)
    if override:
        return override
    for candidate in [shutil.which(name)] + fallbacks:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise CheckFailed(f"{name} not found on PATH or in {', '.join(fallbacks)} (set {environment_variable} to override)")


def start_browser(root_domain, port, wait_seconds, name):
    """Headless Chromium with `<root domain>` and `*.<root domain>` mapped to 127.0.0.1; pages
    time out after twice `wait_seconds`. `name` prefixes the version line it prints."""
    chromium = find_executable("chromium", "CHROMIUM_BINARY", ["/usr/bin/chromium", "/usr/lib/chromium/chromium"])
    chromedriver = find_executable("chromedriver", "CHROMEDRIVER", ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"])
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    options.add_argument("--headless=new")
    options.add_argument("--window-size=1280,900")
    options.add_argument(f"--host-resolver-rules=MAP *.{root_domain} 127.0.0.1, MAP {root_domain} 127.0.0.1")
    options.add_argument("--no-proxy-server")
    options.add_argument(f"--explicitly-allowed-ports={port}")  # whatever port the edge got
    options.add_argument("--disable-dev-shm-usage")
    options.add_argument("--no-first-run")
    options.add_argument("--disable-gpu")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses to run its sandbox as root
    try:
        driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    except WebDriverException as error:
        raise CheckFailed(f"could not start Chromium ({chromium}) through {chromedriver}: {error.msg or error}")
    driver.set_page_load_timeout(wait_seconds * 2)

    capabilities = driver.capabilities
    browser_version = capabilities.get("browserVersion", "?")
    driver_version = capabilities.get("chrome", {}).get("chromedriverVersion", "?").split(" ")[0]
    if browser_version.split(".")[0] != driver_version.split(".")[0]:
        driver.quit()
        raise CheckFailed(f"chromedriver {driver_version} does not match Chromium {browser_version}")
    print(f"{name}: Chromium {browser_version}, chromedriver {driver_version}")
    return driver


def left_the_page(element):
    """A wait condition: `element` is no longer in the page shown. Like selenium's
    `staleness_of`, but a navigation that is still replacing the document may also answer
    "Node with given id does not belong to the document" (a plain WebDriverException): gone too."""
    def check(_driver):
        try:
            element.is_enabled()
            return False
        except WebDriverException:
            return True
    return check
