"""Content-addressed media storage on local disk, with image sniffing and thumbnails.

A file is stored once under the SHA-256 of its bytes; its id is that hex digest. The MIME type
is decided by decoding the bytes (Pillow), never by the file name or the client's claim.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import anyio
from PIL import Image, ImageOps

from hutong.core.errors import InvalidInput, NotFound, PayloadTooLarge, UnsupportedMedia

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class StoredImage:
    id: str
    mime: str
    width: int
    height: int
    thumb_id: str


class MediaStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path_for(self, media_id: str) -> Path:
        if len(media_id) != 64 or any(c not in "0123456789abcdef" for c in media_id):
            raise NotFound("No such media.")
        return self.root / media_id[:2] / media_id[2:4] / media_id

    def put_sync(self, data: bytes) -> str:
        media_id = hashlib.sha256(data).hexdigest()
        path = self.path_for(media_id)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename so a reader never sees half a file.
            fd, tmp = tempfile.mkstemp(dir=path.parent)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        return media_id

    def get_sync(self, media_id: str) -> bytes:
        path = self.path_for(media_id)
        if not path.exists():
            raise NotFound("No such media.")
        return path.read_bytes()

    def put_image_sync(self, data: bytes, *, max_bytes: int, thumb_side: int) -> StoredImage:
        if len(data) > max_bytes:
            raise PayloadTooLarge(f"Images may be at most {max_bytes // 1024} KiB.")
        if not data:
            raise InvalidInput("The file is empty.", fields={"file": "empty"})
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                img = Image.open(io.BytesIO(data))
                fmt = img.format or ""
                if fmt not in IMAGE_FORMATS:
                    raise UnsupportedMedia("Upload a JPEG, PNG, GIF or WebP image.")
                if img.width * img.height > MAX_PIXELS:
                    raise PayloadTooLarge("The image has too many pixels.")
                img.load()
                thumb = ImageOps.exif_transpose(img).convert("RGB")
        except (UnsupportedMedia, PayloadTooLarge):
            raise
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning) as exc:
            raise UnsupportedMedia("The file is not a readable image.") from exc
        thumb.thumbnail((thumb_side, thumb_side))
        buf = io.BytesIO()
        thumb.save(buf, "JPEG", quality=85)
        return StoredImage(
            id=self.put_sync(data),
            mime=IMAGE_FORMATS[fmt],
            width=img.width,
            height=img.height,
            thumb_id=self.put_sync(buf.getvalue()),
        )

    async def put_image(self, data: bytes, *, max_bytes: int, thumb_side: int) -> StoredImage:
        return await anyio.to_thread.run_sync(
            lambda: self.put_image_sync(data, max_bytes=max_bytes, thumb_side=thumb_side)
        )


def sniff_mime(data: bytes) -> str:
    """Best-effort MIME type of stored bytes, for serving them back."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"
