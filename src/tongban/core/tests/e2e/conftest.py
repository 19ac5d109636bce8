"""Browser journeys: Playwright driving Debian's chromium against pytest-django's live server.

The browser is started once per session. Playwright's sync API keeps an asyncio loop marked as running in the main
thread for as long as it is started, which makes Django refuse ORM calls from that thread; so browser tests are moved
to the end of the run (after every other test) and DJANGO_ALLOW_ASYNC_UNSAFE is set only while the browser is up.

Every page is fenced to the live server: any request to another host is aborted and fails the test, which is how the
suite proves the pages work offline (no CDN, no web fonts). Uncaught page errors fail the test too.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# WCAG 2.0, 2.1 and 2.2 levels A and AA: what GB/T 37668-2019 follows and DOMAIN.md aims for.
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.hookimpl(trylast=True)  # after pytest-django's own ordering by database use
def pytest_collection_modifyitems(config, items):
    """Run browser journeys last: once Playwright starts, Django ORM calls in this thread would be refused."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


def _unavailable(reason: str) -> None:
    """Skip the journeys with the reason, or fail them where CI requires a browser (TONGBAN_REQUIRE_BROWSER=1)."""
    if os.environ.get("TONGBAN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}（TONGBAN_REQUIRE_BROWSER=1：浏览器测试不得跳过）")
    pytest.skip(reason)


# The one running browser of the test session. Other apps' e2e conftests import these fixtures, which makes pytest hold
# one fixture definition per directory; Playwright's sync API cannot start twice in a thread, so they share this one.
_SHARED: dict = {}


@pytest.fixture(scope="session")
def browser():
    if "browser" in _SHARED:
        yield _SHARED["browser"]
        return
    if not CHROMIUM.exists():
        _unavailable("chromium 未安装")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright 未安装")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        _SHARED["browser"] = browser
        yield browser
        browser.close()
    finally:
        _SHARED.clear()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class OfflinePage:
    """A browser page fenced to the live server, with the few helpers journeys need."""

    def __init__(self, context, base_url: str):
        self.context = context
        self.base_url = base_url
        self.external_requests: list[str] = []
        self.page_errors: list[str] = []
        context.route("**/*", self._fence)
        self.page = context.new_page()
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def _fence(self, route):
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.external_requests.append(url)
            route.abort()

    def goto(self, path: str):
        return self.page.goto(self.base_url + path)

    def settled(self) -> None:
        """Wait until the page and its stylesheet have loaded. A click that navigates returns once the new page
        commits, before its stylesheet has loaded; on a busy machine a layout measured then is the unstyled one."""
        self.page.wait_for_load_state("load")

    def has_horizontal_scroll(self) -> bool:
        self.settled()
        return self.page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")

    def root_font_px(self) -> float:
        self.settled()
        return self.page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")

    def axe_violations(self, context=None) -> list[str]:
        """axe-core (the copy shipped inside axe-playwright-python, no network) at WCAG 2.x A/AA; one line each."""
        from axe_playwright_python.sync_playwright import Axe

        options = {"runOnly": {"type": "tag", "values": WCAG_AA_TAGS}, "resultTypes": ["violations"]}
        # Unstyled links would fail target-size on a busy machine: check the page as a person sees it.
        self.settled()
        results = Axe().run(self.page, context=context, options=options)
        return [
            f"{v['id']} ({v['impact']}): {v['help']} -> {[node['target'] for node in v['nodes']][:5]}"
            for v in results.response["violations"]
        ]


def _open_page(browser, live_server, **context_options):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_options)
    context.set_default_timeout(10_000)
    return OfflinePage(context, live_server.url)


@pytest.fixture
def open_page(browser, live_server):
    """Factory: open_page(viewport=..., java_script_enabled=...) -> OfflinePage; checks offline use at teardown."""
    pages: list[OfflinePage] = []

    def factory(**context_options) -> OfflinePage:
        context_options.setdefault("viewport", DESKTOP)
        page = _open_page(browser, live_server, **context_options)
        pages.append(page)
        return page

    yield factory
    for page in pages:
        page.context.close()
    for page in pages:
        assert page.external_requests == [], f"页面请求了外部地址：{page.external_requests}"
        assert page.page_errors == [], f"页面脚本出错：{page.page_errors}"
