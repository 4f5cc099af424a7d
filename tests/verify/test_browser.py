"""A real browser on the production-configured project: Debian's headless Chromium through chromedriver.

The API docs (Swagger UI) and the admin login page must render with no console
error (a Content-Security-Policy violation is one) and no sub-resource answered
4xx/5xx or failed, with static files served by WhiteNoise and DEBUG off.
Production settings redirect plain HTTP to HTTPS and a browser here has no TLS
proxy in front, so this module serves with DJANGO_SECURE_SSL_REDIRECT=false.
Screenshots land in .cache/verify/ for a person to look at.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from tests.harness.process import required_tool
from tests.harness.served import ADMIN_PATH, ServedProject
from tests.verify.conftest import ARTIFACTS, serve

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PAGE_TIMEOUT = 30
# Django's admin names no icon, so the browser asks for this one by itself; the project serves it.
IMPLICIT_FAVICON = "/favicon.ico"


@pytest.fixture(scope="module")
def served(tmp_path_factory, postgres_url: str, redis_server_binary: str) -> Iterator[ServedProject]:
    yield from serve(
        tmp_path_factory.mktemp("browser"),
        postgres_url,
        redis_server_binary,
        extra_env={"DJANGO_SECURE_SSL_REDIRECT": "false"},
    )


@pytest.fixture(scope="module")
def browser() -> Iterator:
    required_tool("chromium", "chromium")
    required_tool("chromedriver", "chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="verify-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    # Console messages, and the network events that tell each sub-resource's status.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def visit(browser, url: str, ready_selector: str, screenshot: str) -> tuple[list[str], list[str], dict[str, int]]:
    """Open a page, wait for it to render; return console errors, failed sub-resources, status of each loaded URL."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get_log("browser")  # drop what earlier pages left
    browser.get_log("performance")
    browser.get(url)
    WebDriverWait(browser, PAGE_TIMEOUT).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ready_selector))
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / screenshot))
    console = [
        f"{entry['level']}: {entry['message']}"
        for entry in browser.get_log("browser")
        if entry["level"] in {"SEVERE", "WARNING"}
    ]
    origin = "/".join(url.split("/", 3)[:3])
    # Only this origin's requests count: Chromium makes a few of its own (the CSP blocks any the page makes).
    urls: dict[str, str] = {}
    failed: list[str] = []
    loaded: dict[str, int] = {}
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.responseReceived" and params["response"]["url"].startswith(origin):
            loaded[params["response"]["url"]] = params["response"]["status"]
            if params["response"]["status"] >= 400:
                failed.append(f"{params['response']['status']} {params['response']['url']}")
        elif message["method"] == "Network.loadingFailed" and not params.get("canceled"):
            where = urls.get(params["requestId"], "")
            if where.startswith(origin):
                failed.append(f"{params.get('errorText')} {where}")
    return console, failed, loaded


def test_api_docs_render_every_operation_with_no_console_error(served: ServedProject, browser) -> None:
    from selenium.webdriver.common.by import By

    console, failed, loaded = visit(browser, f"{served.base_url}/api/v1/docs/", ".opblock", "api-docs.png")

    assert console == []
    assert failed == []
    assert len(loaded) >= 4  # the page, its script, Swagger UI's bundle and stylesheet, the schema
    operations = browser.find_elements(By.CSS_SELECTOR, ".opblock")
    assert len(operations) >= 10
    assert "/api/v1/orders/" in browser.page_source


def test_admin_login_renders_with_its_static_files(served: ServedProject, browser) -> None:
    from selenium.webdriver.common.by import By

    console, failed, loaded = visit(browser, f"{served.base_url}{ADMIN_PATH}login/", "#login-form", "admin-login.png")

    assert console == []
    assert failed == []
    stylesheets = browser.execute_script("return [...document.styleSheets].map(sheet => sheet.href)")
    assert any(href and "/static/admin/css/" in href for href in stylesheets)
    assert browser.find_element(By.CSS_SELECTOR, "#id_username").is_displayed()
    assert len(loaded) >= 2
    assert loaded.get(served.base_url + IMPLICIT_FAVICON) == 200
