"""Checking and unpacking an uploaded bundle (a zip of static files plus `manifest.json`).

A bundle comes from a stranger, so nothing in it is trusted:

* **size** — the upload itself is capped (`max_bytes`) before it is opened;
* **zip bombs** — the central directory's declared sizes must add up to at most
  `max_unpacked`, and no entry (nor the whole) may expand more than `max_ratio` times. The
  directory can lie, so extraction counts the bytes really produced and stops at the declared
  size of each entry and at `max_unpacked` overall; zipfile's CRC check catches a member whose
  data does not match its header;
* **paths** — every name must be a plain relative path: no `..`, no absolute path, no drive
  letter, no backslash, no NUL or control characters, no duplicates, no symlinks (Unix mode in
  the external attributes); files are written only below the version's own directory, opened
  with O_EXCL|O_NOFOLLOW;
* **types** — only the extensions of static web files and images.

`manifest.json` names the pages (each an `.html` file in the bundle; the first is the entry)
and the permissions the app asks for (a known set).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from hutong.miniapps.errors import BadBundle, BundleTooLarge

ALLOWED_SUFFIXES = frozenset(
    {
        ".html", ".htm", ".js", ".mjs", ".css", ".json", ".txt", ".map",
        ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico",
        ".woff", ".woff2",
    }
)  # fmt: skip
PERMISSIONS = frozenset({"userInfo", "payment", "scanCode", "share", "location"})
_SEGMENT = re.compile(r"^[A-Za-z0-9._@+-][A-Za-z0-9._@+ -]*$")
CHUNK = 64 * 1024


@dataclass(frozen=True)
class BundleLimits:
    max_bytes: int = 4 * 1024 * 1024
    max_unpacked: int = 16 * 1024 * 1024
    max_files: int = 500
    max_ratio: int = 100


@dataclass(frozen=True)
class CheckedBundle:
    manifest: dict[str, Any]
    files: list[zipfile.ZipInfo]
    unpacked_size: int


def check_name(name: str) -> str:
    """The entry's path if it is a plain relative path; BadBundle otherwise."""
    if not name or len(name) > 200:
        raise BadBundle("A file name in the bundle is empty or too long.", reason="bad-path")
    if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise BadBundle(f"Absolute or Windows path in the bundle: {name!r}.", reason="bad-path")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise BadBundle("Control characters in a file name.", reason="bad-path")
    parts = name.rstrip("/").split("/")
    for part in parts:
        if part in {"", ".", ".."} or not _SEGMENT.match(part):
            raise BadBundle(
                f"Path outside the bundle or unusual name: {name!r}.", reason="bad-path"
            )
    return "/".join(parts)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return info.create_system == 3 and stat.S_ISLNK(mode)  # 3: made on Unix


def check(data: bytes, limits: BundleLimits) -> CheckedBundle:
    """Check a bundle from its central directory and manifest without unpacking it."""
    if len(data) > limits.max_bytes:
        raise BundleTooLarge(f"The bundle is larger than {limits.max_bytes} bytes.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise BadBundle("This is not a zip file.", reason="not-a-zip") from exc
    entries = archive.infolist()
    if len(entries) > limits.max_files:
        raise BadBundle(f"The bundle has more than {limits.max_files} files.", reason="too-many")
    seen: set[str] = set()
    files: list[zipfile.ZipInfo] = []
    total = 0
    for info in entries:
        name = check_name(info.filename)
        if _is_symlink(info):
            raise BadBundle(f"Symbolic links are not allowed: {name!r}.", reason="symlink")
        if name.lower() in seen:
            raise BadBundle(f"The file {name!r} is in the bundle twice.", reason="duplicate")
        seen.add(name.lower())
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise BadBundle("Encrypted files are not allowed.", reason="encrypted")
        if PurePosixPath(name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise BadBundle(f"This type of file is not allowed: {name!r}.", reason="file-type")
        total += info.file_size
        if total > limits.max_unpacked:
            raise BundleTooLarge(
                f"Unpacked, the bundle would be larger than {limits.max_unpacked} bytes.",
                reason="zip-bomb",
            )
        if info.file_size > limits.max_ratio * max(info.compress_size, 1) and (
            info.file_size > CHUNK
        ):
            raise BundleTooLarge(
                f"{name!r} expands more than {limits.max_ratio} times.", reason="zip-bomb"
            )
        files.append(info)
    if total > limits.max_ratio * max(len(data), 1):
        raise BundleTooLarge(
            f"The bundle expands more than {limits.max_ratio} times.", reason="zip-bomb"
        )
    manifest = _manifest(archive, seen, limits)
    return CheckedBundle(manifest, files, total)


def _manifest(archive: zipfile.ZipFile, names: set[str], limits: BundleLimits) -> dict[str, Any]:
    try:
        info = archive.getinfo("manifest.json")
    except KeyError:
        raise BadBundle("The bundle has no manifest.json at its root.", reason="manifest") from None
    if info.file_size > 64 * 1024:
        raise BadBundle("manifest.json is too large.", reason="manifest")
    try:
        raw = _read(archive, info, 64 * 1024)
        manifest = json.loads(raw.decode("utf-8"))
    except (ValueError, zipfile.BadZipFile) as exc:
        raise BadBundle("manifest.json is not valid JSON.", reason="manifest") from exc
    if not isinstance(manifest, dict):
        raise BadBundle("manifest.json must be an object.", reason="manifest")
    pages = manifest.get("pages")
    if not isinstance(pages, list) or not pages or len(pages) > 100:
        raise BadBundle("The manifest must list 1–100 pages.", reason="manifest")
    for page in pages:
        if not isinstance(page, str) or not page.endswith(".html"):
            raise BadBundle("Each page must be an .html file.", reason="manifest")
        if check_name(page).lower() not in names:
            raise BadBundle(f"The page {page!r} is not in the bundle.", reason="manifest")
    permissions = manifest.get("permissions", [])
    if not isinstance(permissions, list) or not all(
        isinstance(p, str) and p in PERMISSIONS for p in permissions
    ):
        raise BadBundle(
            f"Unknown permission; known ones: {', '.join(sorted(PERMISSIONS))}.",
            reason="manifest",
        )
    return {"pages": list(pages), "permissions": sorted(set(permissions))}


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    out = bytearray()
    with archive.open(info) as src:
        while chunk := src.read(CHUNK):
            out += chunk
            if len(out) > limit:
                raise BundleTooLarge("A file expands beyond its declared size.", reason="zip-bomb")
    return bytes(out)


def extract(data: bytes, checked: CheckedBundle, target: Path, limits: BundleLimits) -> None:
    """Unpack a checked bundle into `target` (which must not exist), counting real bytes.

    On any failure the partly written directory is removed."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    target.mkdir(parents=True, exist_ok=False)
    root = target.resolve()
    written = 0
    try:
        for info in checked.files:
            dest = (root / check_name(info.filename)).resolve()
            if not dest.is_relative_to(root):  # belt and braces: check_name refused it
                raise BadBundle("Path outside the bundle.", reason="bad-path")
            dest.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(dest, flags, 0o644)
            with os.fdopen(fd, "wb") as out, archive.open(info) as src:
                produced = 0
                while chunk := src.read(CHUNK):
                    produced += len(chunk)
                    written += len(chunk)
                    if produced > info.file_size or written > limits.max_unpacked:
                        raise BundleTooLarge(
                            "A file expands beyond its declared size.", reason="zip-bomb"
                        )
                    out.write(chunk)
    except zipfile.BadZipFile as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise BadBundle("A file in the bundle is damaged.", reason="corrupt") from exc
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
