"""Link preview cards, fetched by the server with a guard against server-side request forgery.

A URL in a text message is fetched after the message is stored; the card (title, description,
image) is added to the message and pushed to the chat as `chat.preview`. Previews are best
effort: a failure leaves the message as it is.

The guard is `hutong.core.netguard`: only http(s) on ports 80/443 (or any port when private
addresses are allowed); every address the host name resolves to must be public unless the
operator allows private ones; the connection goes to the address that was checked, with the
original name kept for Host and TLS (SNI and certificate check). Here, redirects are followed
by hand, each hop checked again; the body is read up to a size limit, the whole fetch under a
time limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import anyio
import httpx

from hutong.core import netguard
from hutong.core.media import MediaStore
from hutong.core.netguard import Refused

log = logging.getLogger(__name__)
URL_RE = re.compile(r"https?://[^\s<>\"'，。！？、]+", re.IGNORECASE)


@dataclass(frozen=True)
class LinkPolicy:
    allow_private: bool = False
    timeout_s: float = 5.0
    max_bytes: int = 512 * 1024
    max_image_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 3


def first_url(text: str) -> str | None:
    match = URL_RE.search(text)
    return match.group(0).rstrip(".,);:!?") if match else None


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or "").lower()
            if key and "content" in a:
                self.meta.setdefault(key, a["content"])
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title and len(self.title) < 300:
            self.title += data


def _clean(text: str, limit: int) -> str:
    return re.sub(r"\s+", " ", html.unescape(text)).strip()[:limit]


class LinkPreviewer:
    def __init__(self, policy: LinkPolicy, media: MediaStore) -> None:
        self.policy = policy
        self.media = media

    async def _get(self, client: httpx.AsyncClient, url: str, limit: int) -> tuple[str, bytes, str]:
        """Fetch with the guard; returns (final url, body, content type)."""
        for _ in range(self.policy.max_redirects + 1):
            target = await netguard.check(
                url,
                allow_private=self.policy.allow_private,
                ports=None if self.policy.allow_private else netguard.USUAL_PORTS,
            )
            host = target.host
            request = client.build_request(
                "GET",
                target.url,
                headers={
                    "Host": host,
                    "User-Agent": "HutongLinkPreview/1.0",
                    "Accept": "text/html,image/*;q=0.8",
                },
                extensions={"sni_hostname": host},
            )
            response = await client.send(request, stream=True)
            try:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code != 200:
                    raise Refused(f"status {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > limit:
                        break
                return url, bytes(body[:limit]), response.headers.get("content-type", "")
            finally:
                await response.aclose()
        raise Refused("too many redirects")

    async def preview(self, url: str) -> dict[str, Any] | None:
        """The card for `url`, or None when it cannot or may not be fetched."""
        try:
            with anyio.fail_after(self.policy.timeout_s):
                async with httpx.AsyncClient(
                    timeout=self.policy.timeout_s, follow_redirects=False, trust_env=False
                ) as client:
                    final, body, ctype = await self._get(client, url, self.policy.max_bytes)
                    if "html" not in ctype:
                        return None
                    parser = _Meta()
                    parser.feed(body.decode("utf-8", "replace"))
                    meta = parser.meta
                    card: dict[str, Any] = {
                        "url": url,
                        "title": _clean(meta.get("og:title") or parser.title, 200),
                        "description": _clean(
                            meta.get("og:description") or meta.get("description", ""), 400
                        ),
                        "site": _clean(
                            meta.get("og:site_name") or urlsplit(final).hostname or "", 100
                        ),
                        "image_id": None,
                    }
                    image = meta.get("og:image")
                    if image:
                        card["image_id"] = await self._image(client, urljoin(final, image))
        except (Refused, httpx.HTTPError, TimeoutError, OSError, ValueError) as exc:
            log.info("no preview for %s: %s", url, exc)
            return None
        return card if card["title"] or card["description"] else None

    async def _image(self, client: httpx.AsyncClient, url: str) -> str | None:
        try:
            _, data, ctype = await self._get(client, url, self.policy.max_image_bytes)
            if not ctype.startswith("image/"):
                return None
            stored = await self.media.put_image(
                data, max_bytes=self.policy.max_image_bytes, thumb_side=320
            )
        except Exception as exc:
            log.info("no preview image from %s: %s", url, exc)
            return None
        return stored.thumb_id


class PreviewTasks:
    """Runs preview fetches in the background and keeps them from being garbage-collected."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            # Shutting down: a cancelled or failed preview has nothing left to report.
            with contextlib.suppress(BaseException):
                await task
