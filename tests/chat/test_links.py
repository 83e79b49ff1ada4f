"""Link previews: a card from a page the server fetched, and the SSRF guard."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import pytest
import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from hutong.chat.links import LinkPolicy, LinkPreviewer, first_url
from hutong.core.media import MediaStore
from tests.chat.util import direct, friends, said
from tests.conftest import free_port
from tests.helpers import Api

PAGE = """<html><head><title>ignored</title>
<meta property="og:title" content="Hutong &amp; tea">
<meta property="og:description" content="The best tea house in the lane.">
<meta property="og:image" content="/pic.png"></head><body>hi</body></html>"""


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 100, 0)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
async def site() -> AsyncIterator[str]:
    """A small website on loopback, standing in for the internet."""

    async def page(_: object) -> HTMLResponse:
        return HTMLResponse(PAGE)

    async def pic(_: object) -> Response:
        return Response(_png(), media_type="image/png")

    async def hop(_: object) -> RedirectResponse:
        return RedirectResponse("/page")

    async def huge(_: object) -> HTMLResponse:
        return HTMLResponse("<title>big</title>" + "x" * 5_000_000)

    app = Starlette(
        routes=[
            Route("/page", page),
            Route("/pic.png", pic),
            Route("/hop", hop),
            Route("/huge", huge),
        ]
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 — uvicorn exposes only a flag
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


def test_first_url_is_found_in_text_with_cjk_punctuation() -> None:
    assert first_url("看看这个 https://example.com/a?b=1。好吗") == "https://example.com/a?b=1"
    assert first_url("no links here") is None


@pytest.mark.settings(chat_link_allow_private=True)
async def test_a_sent_link_gets_a_preview_card(api: Api, site: str) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    async with api.socket(bob, since=0) as sock:
        await sock.ready()
        m = await said(api, alice, chat, f"tea tonight? {site}/hop")
        events = await sock.events(2)
        preview = next(e for e in events if e["kind"] == "chat.preview")["payload"]
    assert preview["seq"] == m["seq"]
    card = preview["preview"]
    assert (card["title"], card["description"]) == (
        "Hutong & tea",
        "The best tea house in the lane.",
    )
    assert (await api.client.get(card["image_url"])).headers["content-type"] == "image/jpeg"
    history = (await api.client.get(f"/chats/{chat}/messages", headers=bob.headers)).json()
    assert history[-1]["body"]["preview"]["title"] == "Hutong & tea"


async def test_private_addresses_are_refused_by_default(site: str, tmp_path: object) -> None:
    guard = LinkPreviewer(LinkPolicy(), MediaStore(str(tmp_path)))
    for url in (
        f"{site}/page",
        "http://localhost/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://10.0.0.1/",
        "ftp://example.com/",
        "file:///etc/passwd",
        "http://user:pw@example.com/",
    ):
        assert await guard.preview(url) is None, url


async def test_size_and_redirect_limits_hold(site: str, tmp_path: object) -> None:
    allowed = LinkPreviewer(
        LinkPolicy(allow_private=True, max_bytes=4096), MediaStore(str(tmp_path))
    )
    card = await allowed.preview(f"{site}/huge")
    assert card is not None
    assert card["title"] == "big"
    no_hops = LinkPreviewer(
        LinkPolicy(allow_private=True, max_redirects=0), MediaStore(str(tmp_path))
    )
    assert await no_hops.preview(f"{site}/hop") is None
