"""Browser tests: Playwright (sync API) driving Debian's Chromium against a real server.

Run them on their own, from the repository root:

    .venv/bin/python -m pytest -c tests/e2e/pytest.ini tests/e2e

(The main suite ignores tests/e2e and uses pytest-asyncio, whose loop clashes with Playwright's
sync fixtures; `tests/e2e/pytest.ini` turns that plugin off.) One `hutong serve` subprocess with
a temporary data directory serves the whole run; each test makes its own users. Set
`HUTONG_E2E_HEADED=1` to watch, `HUTONG_E2E_SLOWMO=<ms>` to slow it down.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)

from tests.e2e.harness import CHROMIUM, PASSWORD, Server

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("hutong-e2e")).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=not os.environ.get("HUTONG_E2E_HEADED"),
        # A fake microphone and camera that need no permission prompt (voice-note tests).
        args=[
            "--no-sandbox",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
        ],
        slow_mo=float(os.environ.get("HUTONG_E2E_SLOWMO", "0")),
    )
    yield b
    b.close()


NewContext = Callable[..., BrowserContext]


@pytest.fixture
def new_context(browser: Browser, server: Server) -> Iterator[NewContext]:
    """Make isolated browser contexts (separate cookie jars = separate devices).

    Uncaught page errors and Content-Security-Policy violations fail the test: either is a bug
    even if the flow recovers.
    """
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def watch(page: Page) -> None:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
        )

    def make(viewport: ViewportSize | None = None, **kwargs: Any) -> BrowserContext:
        ctx = browser.new_context(base_url=server.base_url, viewport=viewport or PHONE, **kwargs)
        ctx.on("page", watch)
        contexts.append(ctx)
        return ctx

    yield make
    for ctx in contexts:
        ctx.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def page(new_context: NewContext) -> Page:
    """A phone-sized page on a fresh device."""
    return new_context().new_page()


def sign_in_api(ctx: BrowserContext, handle: str, password: str = PASSWORD) -> dict[str, Any]:
    """Sign a context in without the UI (the cookies land in the context's jar)."""
    res = ctx.request.post("/auth/login", data={"handle": handle, "password": password})
    assert res.ok, res.text()
    out: dict[str, Any] = res.json()
    return out


def log_in_ui(page: Page, handle: str, password: str = PASSWORD) -> None:
    """Log in through the password form of the login page already shown."""
    form = page.get_by_test_id("login-form")
    form.get_by_test_id("input-handle").fill(handle)
    form.get_by_test_id("input-password").fill(password)
    form.get_by_test_id("login-submit").click()


def wait_online(page: Page) -> None:
    """Until the realtime socket has caught up and is live."""
    expect(page.locator("html")).to_have_attribute("data-realtime", "online")
