"""Personal and group QR codes, and scanning a photo of any Hutong code.

Personal code: token kind "u", ident `<user id>:<qr version>`, no expiry. Resetting bumps the
version in `contact_settings`, so every older token is still well-signed but resolves to a 410
"expired" problem. Group code: kind "g", ident = a `group_qr_codes` row, expiring after
7 days (configurable); joining is the chat domain's job, which plugs in with
`set_group_describer`. Both resolve through the platform `QrRegistry`, so `/api/qr/<token>`,
`/qr/<token>.png|.svg` and scanning all work the same way.

The personal "card" puts the owner's avatar in the middle of an error-level-H code and keeps it
only if zxing-cpp still decodes the result to the same URL; otherwise the plain code is used.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
import segno
import zxingcpp
from PIL import Image, ImageDraw, ImageOps
from sqlalchemy import update

from hutong.contacts import relations
from hutong.contacts.errors import NoQrCode, NotFindable
from hutong.contacts.models import GroupQrCode
from hutong.contacts.schemas import QrCodeOut, ScanOut
from hutong.core.auth import Principal
from hutong.core.errors import Expired, NotFound, PayloadTooLarge, UnsupportedMedia
from hutong.core.media import MAX_PIXELS, MediaStore
from hutong.core.qrcodes import QrRegistry
from hutong.core.signing import SignedToken, Signer

if TYPE_CHECKING:
    from hutong.contacts.service import ContactsService

GroupDescriber = Callable[[int, Principal | None], Awaitable[dict[str, Any]]]
TOKEN_IN_URL = re.compile(r"/qr/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)(?:[?#/.]|$)")
SCAN_FORMATS = {"JPEG", "PNG", "GIF", "WEBP", "BMP"}
QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
AVATAR_FRACTION = 0.24  # of the code's width (quiet zone excluded)
SCALE = 10
BORDER = 4


def personal_ident(user_id: int, version: int) -> str:
    return f"{user_id}:{version}"


def _parse_personal(ident: str) -> tuple[int, int]:
    try:
        uid, version = ident.split(":")
        return int(uid), int(version)
    except ValueError:
        raise NotFound("This code is not a valid Hutong code.") from None


# -- images ------------------------------------------------------------------------------


def decodes_to(img: Image.Image, text: str) -> bool:
    found = zxingcpp.read_barcodes(img, formats=QR_ONLY)
    return any(b.text == text for b in found)


def _avatar_tile(avatar: bytes, side: int) -> Image.Image:
    """The avatar as a square with a white rounded frame, `side` pixels wide."""
    pic = ImageOps.fit(Image.open(io.BytesIO(avatar)).convert("RGB"), (side, side))
    pad = max(2, side // 12)
    tile = Image.new("RGB", (side + 2 * pad, side + 2 * pad), "white")
    mask = Image.new("L", (side, side), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, side - 1, side - 1), radius=side // 6, fill=255)
    tile.paste(pic, (pad, pad), mask)
    return tile


def card_png(url: str, avatar: bytes | None) -> tuple[bytes, bool]:
    """PNG of `url` with the avatar in the middle; (bytes, True) if the avatar was kept."""
    if avatar:
        qr = segno.make(url, error="h")
        buf = io.BytesIO()
        qr.save(buf, kind="png", scale=SCALE, border=BORDER)
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
        inner = (img.width - 2 * BORDER * SCALE) * AVATAR_FRACTION
        try:
            tile = _avatar_tile(avatar, int(inner))
        except (OSError, ValueError, Image.DecompressionBombError):
            tile = None
        if tile is not None:
            img.paste(tile, ((img.width - tile.width) // 2, (img.height - tile.height) // 2))
            if decodes_to(img, url):
                out = io.BytesIO()
                img.save(out, "PNG", optimize=True)
                return out.getvalue(), True
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=SCALE, border=BORDER)
    return buf.getvalue(), False


def card_svg(url: str, avatar: bytes | None, with_avatar: bool) -> bytes:
    """SVG of the same card. The avatar geometry equals the PNG's, which was proven to decode
    (`with_avatar`), so the SVG decodes too."""
    qr = segno.make(url, error="h" if with_avatar else "m")
    buf = io.BytesIO()
    qr.save(buf, kind="svg", scale=SCALE, border=BORDER, xmldecl=False)
    svg = buf.getvalue().decode()
    if not (with_avatar and avatar):
        return svg.encode()
    width, _ = qr.symbol_size(scale=SCALE, border=BORDER)
    side = int((width - 2 * BORDER * SCALE) * AVATAR_FRACTION)
    tile = _avatar_tile(avatar, side)
    png = io.BytesIO()
    tile.save(png, "PNG")
    x = (width - tile.width) // 2
    href = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    image = f'<image x="{x}" y="{x}" width="{tile.width}" height="{tile.height}" href="{href}"/>'
    return svg.replace("</svg>", image + "</svg>").encode()


def decode_photo(data: bytes, max_bytes: int) -> list[str]:
    """Texts of the QR codes in a photo or screenshot (camera rotation applied)."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"Images to scan may be at most {max_bytes // 1024} KiB.")
    if not data:
        raise NoQrCode("The file is empty.", fields={"file": "empty"})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if (img.format or "") not in SCAN_FORMATS:
                raise UnsupportedMedia("Upload a JPEG, PNG, GIF, WebP or BMP image.")
            if img.width * img.height > MAX_PIXELS:
                raise PayloadTooLarge("The image has too many pixels.")
            img.load()
            gray = ImageOps.exif_transpose(img).convert("L")
    except (UnsupportedMedia, PayloadTooLarge):
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning) as exc:
        raise UnsupportedMedia("The file is not a readable image.") from exc
    found = zxingcpp.read_barcodes(gray, formats=QR_ONLY)
    if not found:
        # Low-contrast or glare-washed photos: stretch the histogram and try a global threshold.
        found = zxingcpp.read_barcodes(
            ImageOps.autocontrast(gray, cutoff=2),
            formats=QR_ONLY,
            binarizer=zxingcpp.Binarizer.GlobalHistogram,
        )
    return [b.text for b in found if b.text]


# -- service ------------------------------------------------------------------------------


class QrCodes:
    def __init__(self, contacts: ContactsService, signer: Signer, media: MediaStore) -> None:
        self.c = contacts
        self.db = contacts.db
        self.clock = contacts.clock
        self.signer = signer
        self.media = media
        self._group_describer: GroupDescriber | None = None
        self._registry: QrRegistry | None = None
        self._cards: OrderedDict[tuple[str, str | None], tuple[bytes, bool]] = OrderedDict()

    def register(self, registry: QrRegistry) -> None:
        """Make `/api/qr/<token>` (and scanning) understand personal and group codes."""
        registry.register("u", self.resolve_personal)
        registry.register("g", self.resolve_group)
        self._registry = registry

    def set_group_describer(self, describer: GroupDescriber) -> None:
        """For the chat domain: what a scanned group code shows (name, members, can join)."""
        self._group_describer = describer

    # -- personal codes ----------------------------------------------------------------

    def _out(self, token: str, base_url: str, *, card: bool) -> QrCodeOut:
        return QrCodeOut(
            token=token,
            url=f"{base_url}/qr/{token}",
            png_url=f"/qr/{token}.png",
            svg_url=f"/qr/{token}.svg",
            card_png_url=f"/contacts/qr/{token}.png" if card else None,
            card_svg_url=f"/contacts/qr/{token}.svg" if card else None,
        )

    async def personal_token(self, user_id: int) -> str:
        async with self.db.read() as s:
            row = await relations.load_settings(s, user_id, self.clock.now())
        return self.signer.sign("u", personal_ident(user_id, row.qr_version))

    async def my_code(self, user_id: int, base_url: str) -> QrCodeOut:
        return self._out(await self.personal_token(user_id), base_url, card=True)

    async def reset(self, user_id: int, base_url: str) -> QrCodeOut:
        """A new personal code; every earlier one now answers 410."""
        async with self.db.write() as uow:
            row = await relations.lock_settings(
                uow, user_id, self.clock.now(), is_sqlite=self.db.is_sqlite
            )
            row.qr_version += 1
            row.updated_at = self.clock.now()
            token = self.signer.sign("u", personal_ident(user_id, row.qr_version))
            await self.c.sync.emit(uow, [user_id], "contacts.qr_reset", {"token": token})
        return self._out(token, base_url, card=True)

    async def _current_owner(self, signed: SignedToken) -> int:
        user_id, version = _parse_personal(signed.ident)
        async with self.db.read() as s:
            row = await relations.load_settings(s, user_id, self.clock.now())
        if row.qr_version != version:
            raise Expired("This QR code was reset by its owner. Ask them for the new one.")
        return user_id

    async def check_personal_token(self, token: str | None, owner: int) -> None:
        """For requests with source "qr": the token must be the owner's current code."""
        if not token:
            raise NotFindable(
                "Scan the person's QR code to add them this way.", fields={"qr_token": "missing"}
            )
        signed = self.signer.unsign(token, self.clock.now())
        if signed.kind != "u" or await self._current_owner(signed) != owner:
            raise NotFindable("That QR code belongs to someone else.", fields={"qr_token": "wrong"})

    async def resolve_personal(
        self, signed: SignedToken, principal: Principal | None
    ) -> dict[str, Any]:
        """Signed in: the person, the relationship and `action` ("add_friend", "friend" or
        "self"). Signed out: the person and `action` "sign_up" (sign up, then come back)."""
        owner = await self._current_owner(signed)
        async with self.db.read() as s:
            settings = await relations.load_settings(s, owner, self.clock.now())
        if principal is not None and principal.user_id != owner and not settings.findable_by_qr:
            raise NotFindable("This user does not accept friend requests by QR code.")
        if principal is None:
            return {
                "user": (await self.c.profile_of(owner)).model_dump(mode="json"),
                "action": "sign_up",
            }
        person = await self.c.view_id(principal.user_id, owner)
        rel = person.relationship
        action = "self" if rel.is_self else "friend" if rel.is_friend else "add_friend"
        return {
            **person.model_copy(update={"source": "qr"}).model_dump(mode="json"),
            "action": action,
        }

    async def card(self, token: str, kind: str, base_url: str) -> bytes:
        """The personal code with the avatar in the middle, as "png" or "svg"."""
        signed = self.signer.unsign(token, self.clock.now())
        if signed.kind != "u":
            raise NotFound("Only personal codes have a card.")
        owner = await self._current_owner(signed)
        user = await self.c.profile_of(owner)
        url = f"{base_url}/qr/{token}"
        avatar_id = user.avatar_thumb_url.rsplit("/", 1)[-1] if user.avatar_thumb_url else None
        avatar = (
            await anyio.to_thread.run_sync(self.media.get_sync, avatar_id) if avatar_id else None
        )
        key = (url, avatar_id)
        cached = self._cards.get(key)
        if cached is None:
            cached = await anyio.to_thread.run_sync(card_png, url, avatar)
            self._cards[key] = cached
            if len(self._cards) > 256:
                self._cards.popitem(last=False)
        png, with_avatar = cached
        if kind == "png":
            return png
        return await anyio.to_thread.run_sync(card_svg, url, avatar, with_avatar)

    # -- group codes -------------------------------------------------------------------

    async def issue_group(self, group_id: int, issued_by: int, base_url: str) -> QrCodeOut:
        """A join code for a group chat, valid for `group_qr_ttl_s` (7 days). The caller (the
        chat domain) must have checked that `issued_by` may share the group."""
        now = self.clock.now()
        expires = now + dt.timedelta(seconds=self.c.policy.group_qr_ttl_s)
        async with self.db.write() as uow:
            row = GroupQrCode(
                group_id=group_id, issued_by=issued_by, created_at=now, expires_at=expires
            )
            uow.session.add(row)
            await uow.session.flush()
            token = self.signer.sign("g", str(row.id), expires)
        return self._out(token, base_url, card=False).model_copy(update={"expires_at": expires})

    async def revoke_group(self, group_id: int) -> int:
        """Kill every live join code of a group (e.g. when it is dissolved); how many."""
        async with self.db.write() as uow:
            result = await uow.session.execute(
                update(GroupQrCode)
                .where(GroupQrCode.group_id == group_id, GroupQrCode.revoked_at.is_(None))
                .values(revoked_at=self.clock.now())
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def resolve_group(
        self, signed: SignedToken, principal: Principal | None
    ) -> dict[str, Any]:
        try:
            code_id = int(signed.ident)
        except ValueError:
            raise NotFound("This code is not a valid Hutong code.") from None
        async with self.db.read() as s:
            row = await s.get(GroupQrCode, code_id)
        if row is None:
            raise NotFound("No such group code.")
        if row.revoked_at is not None or row.expires_at <= self.clock.now():
            raise Expired("This group QR code has expired. Ask a member for a new one.")
        out: dict[str, Any] = {
            "group_id": row.group_id,
            "expires_at": row.expires_at.isoformat(),
            "action": "join" if principal is not None else "sign_up",
        }
        if self._group_describer is not None:
            out.update(await self._group_describer(row.group_id, principal))
        return out

    # -- scanning ----------------------------------------------------------------------

    async def scan(self, data: bytes, principal: Principal) -> ScanOut:
        """Decode an uploaded photo and resolve the Hutong code in it, as opening it would."""
        texts = await anyio.to_thread.run_sync(decode_photo, data, self.c.policy.scan_max_bytes)
        if not texts:
            raise NoQrCode(
                "No QR code was found in the image. Try a sharper, closer photo.",
                fields={"file": "no QR code"},
            )
        for text in texts:
            match = TOKEN_IN_URL.search(text)
            if match:
                token = match.group(1)
                assert self._registry is not None, "QrCodes.register was not called"
                result = await self._registry.resolve(token, principal)
                return ScanOut(kind=str(result["kind"]), text=text, token=token, result=result)
        return ScanOut(kind="text", text=texts[0])
