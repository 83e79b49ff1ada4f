"""Make docs/screenshot.png: the Me tab of a signed-in user on a 390×844 phone screen.

    .venv/bin/python tests/e2e/screenshot.py [--out docs/screenshot.png] [--tab me|chats]
                                             [--scale 2] [--dark]

Starts its own server on a temporary data directory, creates a user with a name, bio, region,
an avatar and an orange-V verification badge (granted by a throwaway admin), and captures the
screen in headless Chromium.
"""

from __future__ import annotations

import argparse
import io
import math
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests.e2e.harness import (  # noqa: E402
    PASSWORD,
    Server,
    http_json,
    hutong_bin,
    launch_chromium,
    server_env,
)

ADMIN_PASSWORD = "screenshot admin pass"


def avatar_png() -> bytes:
    """A small landscape: dusk sky, sun, two hills, a grey hutong wall."""
    size = 512
    img = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(img)
    top, bottom = (255, 183, 120), (255, 236, 200)
    for y in range(size):
        t = y / size
        draw.line(
            [(0, y), (size, y)],
            fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    draw.ellipse((300, 110, 420, 230), fill=(255, 120, 70))
    hill = [(x, 330 - 60 * math.sin(x / size * math.pi * 1.3)) for x in range(0, size + 1, 8)]
    draw.polygon([(0, size), *hill, (size, size)], fill=(7, 193, 96))
    draw.polygon([(0, size), (0, 400), (200, 360), (size, 430), (size, size)], fill=(5, 140, 72))
    draw.rectangle((0, 440, size, size), fill=(120, 124, 130))
    for x in range(0, size, 32):
        draw.line([(x, 440), (x, size)], fill=(100, 104, 110), width=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def admin_post(server: Server, path: str, body: object, token: str) -> object:
    return http_json("POST", server.base_url + path, body, {"Authorization": f"Bearer {token}"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--tab", choices=["me", "chats"], default="me")
    parser.add_argument("--scale", type=float, default=2, help="device pixel ratio")
    parser.add_argument("--dark", action="store_true", help="dark colour scheme")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hutong-shot-") as tmp:
        data_dir = Path(tmp)
        subprocess.run(
            [hutong_bin(), "create-admin", "admin", "--password", ADMIN_PASSWORD],
            cwd=data_dir,
            env=server_env(data_dir),
            check=True,
            capture_output=True,
        )
        server = Server(data_dir).start()
        try:
            admin = server.post("/auth/token", {"handle": "admin", "password": ADMIN_PASSWORD})
            user = server.create_user("lin_xiaoyu", "林小雨 Lin Xiaoyu")
            admin_post(
                server,
                f"/admin/users/{user['id']}/verification",
                {"kind": "personal", "reason": "Street photographer"},
                admin["token"],
            )
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                ctx = browser.new_context(
                    base_url=server.base_url,
                    viewport={"width": 390, "height": 844},
                    device_scale_factor=args.scale,
                    color_scheme="dark" if args.dark else "light",
                    locale="en-US",
                )
                res = ctx.request.post(
                    "/auth/login", data={"handle": user["handle"], "password": PASSWORD}
                )
                assert res.ok, res.text()
                csrf = res.json()["csrf_token"]
                headers = {"X-CSRF-Token": csrf}
                res = ctx.request.patch(
                    "/me",
                    data={
                        "bio": "Film cameras, jianbing, and old alleys.",
                        "region": "Beijing · Dongcheng",
                    },
                    headers=headers,
                )
                assert res.ok, res.text()
                res = ctx.request.put(
                    "/me/avatar",
                    multipart={
                        "file": {
                            "name": "avatar.png",
                            "mimeType": "image/png",
                            "buffer": avatar_png(),
                        }
                    },
                    headers=headers,
                )
                assert res.ok, res.text()

                page = ctx.new_page()
                page.goto(f"/#/{args.tab}")
                expect(page.get_by_test_id(f"screen-{args.tab}")).to_be_visible()
                expect(page.locator("html")).to_have_attribute("data-realtime", "online")
                if args.tab == "me":
                    page.wait_for_function(
                        "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"
                    )
                page.wait_for_timeout(300)  # let toasts and transitions settle
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out))
                browser.close()
        finally:
            server.stop()
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
