"""The two example mini-programs for `hutong demo`: Dumpling House (food ordering) and City
Utilities (bill payment), whose code lives in `examples/` like any third party's would.

`install_examples` does through the services what a developer and a moderator would do in the
app: a developer account ("hutong_labs") registers, creates both apps on the loopback domain
its backends listen on, uploads each bundle, moves it through trial and review (a moderator
account, "hutong_review", approves) and releases it. Running it again changes nothing unless
a bundle or a port changed (then a new version is released); secrets of apps it made before
are kept in `<data_dir>/examples.json` (mode 0600), or rotated if that file was lost.

`example_processes` gives `hutong serve` the command line and environment of each backend.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import math
import os
import secrets
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageDraw

from hutong.accounts import AccountService
from hutong.core.errors import Conflict
from hutong.miniapps.errors import AlreadyDeveloper, BadAppCredentials
from hutong.miniapps.schemas import AppIn, AppPatch, Category, DeveloperIn, VersionOut
from hutong.miniapps.service import MiniApps

DEVELOPER = ("hutong_labs", "Hutong Labs")
REVIEWER = ("hutong_review", "Hutong Review")
STAFF = frozenset({"moderator", "admin"})
EXAMPLES_FILE = "examples.json"
ICON_MAX = 1024 * 1024
ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # fixed, so the same files always make the same bundle


class Parts(Protocol):
    """What `install_examples` needs of the container."""

    @property
    def accounts(self) -> AccountService: ...

    @property
    def miniapps(self) -> MiniApps: ...


class Where(Protocol):
    """What it needs of the settings."""

    @property
    def data_dir(self) -> Path: ...

    @property
    def public_url(self) -> str: ...


@dataclass(frozen=True)
class Example:
    key: str
    name: str
    description: str
    category: Category
    default_port: int
    colour: tuple[int, int, int]

    @property
    def port(self) -> int:
        """The backend's port: `HUTONG_EXAMPLE_<KEY>_PORT` or the default."""
        value = os.environ.get(f"HUTONG_EXAMPLE_{self.key.upper()}_PORT", "")
        return int(value) if value.isdigit() else self.default_port

    @property
    def dir(self) -> Path:
        return examples_dir() / self.key


EXAMPLES = (
    Example(
        "dumpling_house",
        "Dumpling House",
        "Hand-folded dumplings, xiaolongbao and jasmine tea. Order and pay, pick up when ready.",
        "food",
        9101,
        (200, 16, 46),
    ),
    Example(
        "city_utilities",
        "City Utilities",
        "Pay electricity, water and gas bills with your account number and keep the receipts.",
        "utilities",
        9102,
        (22, 119, 255),
    ),
)


def examples_dir() -> Path:
    """`examples/` of the source tree, or `HUTONG_EXAMPLES_DIR`."""
    given = os.environ.get("HUTONG_EXAMPLES_DIR")
    return Path(given) if given else Path(__file__).resolve().parents[3] / "examples"


def bundle_zip(app_dir: Path, *, api_url: str | None = None) -> bytes:
    """The zip of `app_dir/bundle`, byte for byte the same for the same files. With `api_url`
    its `config.js` points the page at a backend on that URL."""
    root = app_dir / "bundle"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = path.relative_to(root).as_posix()
            if any(part.startswith(".") for part in name.split("/")):
                continue
            data = path.read_bytes()
            if name == "config.js" and api_url is not None:
                data = (
                    "// Where this app's own backend listens (written by `hutong demo`).\n"
                    f"window.APP_CONFIG = {{ api: {json.dumps(api_url)} }};\n"
                ).encode()
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return out.getvalue()


def example_icon(example: Example, size: int = 256) -> bytes:
    """The example's icon, drawn (PNG): a white dumpling, or a lightning bolt, on its colour."""
    img = Image.new("RGB", (size, size), example.colour)
    draw = ImageDraw.Draw(img)

    def at(*points: float) -> list[tuple[float, float]]:
        return [
            (points[i] * size / 256, points[i + 1] * size / 256) for i in range(0, len(points), 2)
        ]

    if example.key == "dumpling_house":
        # A half-moon with a pleated crest: a dome, a rounded base, scallops along the top.
        draw.chord(at(36, 68, 220, 252), 180, 360, fill="white")
        draw.ellipse(at(36, 138, 220, 184), fill="white")
        for i in range(7):
            angle = math.pi * (1 + (i + 1) / 8)
            x, y = 128 + 90 * math.cos(angle), 160 + 90 * math.sin(angle)
            draw.ellipse(at(x - 12, y - 12, x + 12, y + 12), fill="white")
            inner = (128 + 74 * math.cos(angle), 160 + 74 * math.sin(angle))
            draw.line(at(x, y, *inner), fill=example.colour, width=max(1, size // 64))
    else:
        draw.polygon(at(150, 28, 64, 146, 120, 146, 100, 228, 196, 102, 138, 102, 166, 28), "white")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def read_examples(data_dir: Path) -> dict[str, dict[str, Any]]:
    """`<data_dir>/examples.json`: per example its appid, secret, port, name and dir."""
    try:
        found = json.loads((data_dir / EXAMPLES_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _write_examples(data_dir: Path, examples: dict[str, dict[str, Any]]) -> None:
    """Written whole and replaced at once, readable by the owner only (it holds secrets)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / (EXAMPLES_FILE + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)
        json.dump(examples, f, indent=2, sort_keys=True)
    os.replace(tmp, data_dir / EXAMPLES_FILE)


async def install_examples(c: Parts, settings: Where, *, password: str | None = None) -> None:
    """Register, review and release both example apps; idempotent (see the module's doc).
    The two accounts it makes get `password` (the demo's, so one can sign in as them), or a
    random one."""
    svc = c.miniapps
    password = password or secrets.token_urlsafe(16)
    reviewer = await _account(c.accounts, *REVIEWER, password, role="moderator")
    developer = await _account(c.accounts, *DEVELOPER, password)
    with contextlib.suppress(AlreadyDeveloper):
        await svc.apps.register_developer(developer, DeveloperIn(name=DEVELOPER[1]))
    known = read_examples(settings.data_dir)
    for example in EXAMPLES:
        port = example.port
        appid, secret, has_icon = await _app(
            svc, developer, example, port, known.get(example.key, {})
        )
        known[example.key] = {
            "appid": appid,
            "secret": secret,
            "port": port,
            "name": example.name,
            "dir": str(example.dir),
        }
        _write_examples(settings.data_dir, known)
        if not has_icon:  # a drawn one; an icon the developer set is kept
            await svc.apps.set_icon(developer, appid, example_icon(example), ICON_MAX)
        data = bundle_zip(example.dir, api_url=f"http://127.0.0.1:{port}")
        await _release(svc, developer, reviewer, appid, data)


async def _account(
    accounts: AccountService, handle: str, display: str, password: str, *, role: str = "user"
) -> int:
    """The user `handle`, made on the first run; given `role` if it is a staff role."""
    try:
        new = await accounts.register(
            handle, password, display, device_name="hutong demo", ip="", role=role
        )
    except Conflict:
        uid = (await accounts.profiles_by_handle([handle]))[handle].id
        if role in STAFF and (await accounts.me(uid)).role not in STAFF:
            await accounts.set_role("admin", uid, role)
        return uid
    return new.me.id


async def _app(
    svc: MiniApps, developer: int, example: Example, port: int, known: dict[str, Any]
) -> tuple[str, str, bool]:
    """The example's appid, a working secret and whether it has an icon: created, or found
    and brought up to date."""
    domains = [f"127.0.0.1:{port}"]
    mine = {a.appid: a for a in await svc.apps.mine(developer)}
    appid = known.get("appid")
    if appid not in mine:
        appid = next((a.appid for a in mine.values() if a.name == example.name), None)
    if appid is None:
        made = await svc.apps.create(
            developer,
            AppIn(
                name=example.name,
                description=example.description,
                category=example.category,
                domains=domains,
            ),
        )
        return made.appid, made.secret, False
    app = mine[appid]
    if (app.domains, app.description, app.category) != (
        domains,
        example.description,
        example.category,
    ):
        await svc.apps.update(
            developer,
            appid,
            AppPatch(description=example.description, category=example.category, domains=domains),
        )
    secret = known.get("secret") if known.get("appid") == appid else None
    if isinstance(secret, str):
        try:
            await svc.apps.authenticate(appid, secret)
        except BadAppCredentials:
            pass
        else:
            return appid, secret, app.icon_url is not None
    return appid, (await svc.apps.rotate_secret(developer, appid)).secret, app.icon_url is not None


async def _release(
    svc: MiniApps, developer: int, reviewer: int, appid: str, data: bytes
) -> VersionOut:
    """Take the bundle through trial, review and release, from wherever it stands; a bundle
    already released is left as it is."""
    sha = hashlib.sha256(data).hexdigest()
    versions = await svc.versions.of_app(developer, appid)
    live = [
        v
        for v in versions
        if v.bundle_sha256 == sha and v.status not in {"superseded", "rolled_back"}
    ]
    if live:
        v = live[-1]
    else:
        taken = {v.version for v in versions}
        name = next(f"1.0.{n}" for n in itertools.count() if f"1.0.{n}" not in taken)
        v = await svc.versions.upload(developer, appid, name, "Installed by hutong demo", data)
    if v.status == "develop":
        v = await svc.versions.to_trial(developer, appid, v.id)
    if v.status in {"trial", "rejected"}:
        v = await svc.versions.submit(developer, appid, v.id)
    if v.status == "submitted":
        v = await svc.versions.approve(reviewer, v.id)
    if v.status == "approved":
        v = await svc.versions.release(developer, appid, v.id)
    return v


def example_processes(
    settings: Where, *, hutong_url: str | None = None
) -> list[tuple[list[str], dict[str, str]]]:
    """For each installed example, the command line and the environment (this process's,
    plus the backend's settings) that start its backend; none before `install_examples`.
    The backends reach Hutong at `hutong_url`, by default `settings.public_url`."""
    found = read_examples(settings.data_dir)
    out = []
    for example in EXAMPLES:
        entry = found.get(example.key)
        if not entry:
            continue
        backend = Path(entry["dir"]) / "backend.py"
        if not backend.is_file():
            continue  # its code is no longer where it was installed from
        port = int(entry["port"])
        env = {
            **os.environ,
            "HUTONG_URL": (hutong_url or settings.public_url).rstrip("/"),
            "APPID": str(entry["appid"]),
            "APP_SECRET": str(entry["secret"]),
            "PORT": str(port),
            "PUBLIC_URL": f"http://127.0.0.1:{port}",
            "DB_PATH": str(settings.data_dir / f"example-{example.key}.db"),
            "PARENT_PID": str(os.getpid()),  # it stops when `hutong serve` is gone
        }
        out.append(([sys.executable, str(backend)], env))
    return out
