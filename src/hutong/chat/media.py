"""Files sent in chats: streamed to the content-addressed store, typed by their bytes, and
served only to members of the chat they were sent in (with HTTP range requests)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

import anyio
import filetype  # type: ignore[import-untyped]
from PIL import Image

from hutong.chat.models import ChatMedia, Member
from hutong.chat.schemas import MediaOut
from hutong.chat.store import ChatDeps, require_active
from hutong.core.errors import NotFound, PayloadTooLarge, UnsupportedMedia
from hutong.core.media import IMAGE_FORMATS, MAX_PIXELS

CHUNK = 1024 * 1024


def _sniff(path: Path) -> str:
    kind = filetype.guess(str(path))
    if kind is not None:
        return str(kind.mime)
    head = path.open("rb").read(4096)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


def _thumb(store_root: Path, path: Path, side: int) -> tuple[str | None, int | None, int | None]:
    from hutong.core.media import MediaStore

    try:
        with Image.open(path) as img:
            if (img.format or "") not in IMAGE_FORMATS or img.width * img.height > MAX_PIXELS:
                return None, None, None
            w, h = img.size
            img.draft("RGB", (side * 2, side * 2))
            thumb = img.convert("RGB")
            thumb.thumbnail((side, side))
            import io

            buf = io.BytesIO()
            thumb.save(buf, "JPEG", quality=80)
            return MediaStore(store_root).put_sync(buf.getvalue()), w, h
    except (OSError, ValueError, Image.DecompressionBombError):
        return None, None, None


class ChatMediaService:
    def __init__(self, deps: ChatDeps, *, thumb_side: int = 320) -> None:
        self.deps = deps
        self.thumb_side = thumb_side

    def _spool(self, src: BinaryIO, limit: int) -> tuple[Path, str, int]:
        """Copy the upload to a temp file in the store, hashing as it goes."""
        root = self.deps.media.root
        root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=root, prefix=".upload-")
        with os.fdopen(fd, "wb") as out:
            while chunk := src.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    out.close()
                    os.unlink(tmp)
                    raise PayloadTooLarge(f"Files may be at most {limit // (1024 * 1024)} MiB.")
                digest.update(chunk)
                out.write(chunk)
        return Path(tmp), digest.hexdigest(), size

    def _store(
        self, src: BinaryIO, limit: int
    ) -> tuple[str, str, int, str | None, int | None, int | None]:
        tmp, media_id, size = self._spool(src, limit)
        try:
            if size == 0:
                raise UnsupportedMedia("The file is empty.")
            mime = _sniff(tmp)
            if mime.startswith("image/") and size > self.deps.policy.image_max_bytes:
                raise PayloadTooLarge(
                    "Images may be at most "
                    f"{self.deps.policy.image_max_bytes // (1024 * 1024)} MiB."
                )
            thumb, w, h = (
                _thumb(self.deps.media.root, tmp, self.thumb_side)
                if mime.startswith("image/")
                else (None, None, None)
            )
            final = self.deps.media.path_for(media_id)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                tmp.unlink()
        return media_id, mime, size, thumb, w, h

    async def upload(self, me: int, chat_id: int, src: BinaryIO, name: str) -> MediaOut:
        async with self.deps.db.read() as s:
            await require_active(s, chat_id, me)
        media_id, mime, size, thumb, w, h = await anyio.to_thread.run_sync(
            self._store, src, self.deps.policy.file_max_bytes
        )
        safe_name = Path(name or "file").name[:200]
        async with self.deps.db.write() as uow:
            row = await uow.session.get(ChatMedia, (chat_id, media_id))
            if row is None:
                row = ChatMedia(
                    chat_id=chat_id,
                    media_id=media_id,
                    mime=mime,
                    size=size,
                    name=safe_name,
                    thumb_id=thumb,
                    width=w,
                    height=h,
                    uploader_id=me,
                    created_at=self.deps.clock.now(),
                )
                uow.session.add(row)
        return self.out(row)

    @staticmethod
    def out(row: ChatMedia) -> MediaOut:
        base = f"/chats/{row.chat_id}/media/{row.media_id}"
        return MediaOut(
            media_id=row.media_id,
            mime=row.mime,
            size=row.size,
            name=row.name,
            url=base,
            thumb_url=f"{base}?thumb=1" if row.thumb_id else None,
            width=row.width,
            height=row.height,
        )

    async def locate(
        self, me: int, chat_id: int, media_id: str, thumb: bool
    ) -> tuple[Path, str, str]:
        """Where a chat file is on disk, its type and name — for members only."""
        async with self.deps.db.read() as s:
            member = await s.get(Member, (chat_id, me))
            if member is None or member.status != "active":
                raise NotFound("No such file.")
            row = await s.get(ChatMedia, (chat_id, media_id))
        if row is None:
            raise NotFound("No such file.")
        if thumb and row.thumb_id:
            return self.deps.media.path_for(row.thumb_id), "image/jpeg", row.name
        return self.deps.media.path_for(row.media_id), row.mime, row.name
