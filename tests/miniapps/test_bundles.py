"""Uploaded bundles: every kind of bad zip is refused with a typed problem, and a refused
upload leaves nothing behind (no version row, no files)."""

from __future__ import annotations

import io
import stat
import struct
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from hutong.miniapps import bundles
from hutong.miniapps.bundles import BundleLimits
from hutong.miniapps.errors import BadBundle, BundleTooLarge
from tests.helpers import Api
from tests.miniapps.util import INDEX, MANIFEST, bundle, developer, ptype, upload

LIMITS = BundleLimits()


def raw_zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in entries:
            z.writestr(info, data)
    return out.getvalue()


def with_manifest(*entries: tuple[zipfile.ZipInfo | str, bytes]) -> bytes:
    import json

    return raw_zip(
        [
            ("manifest.json", json.dumps(MANIFEST).encode()),
            ("pages/index.html", INDEX),
            *entries,
        ]
    )


def reason(exc: pytest.ExceptionInfo[BadBundle] | pytest.ExceptionInfo[BundleTooLarge]) -> str:
    return str(exc.value.extra["reason"])


def test_a_good_bundle_passes_and_unpacks(tmp_path: Path) -> None:
    data = bundle()
    checked = bundles.check(data, LIMITS)
    assert checked.manifest == {
        "pages": ["pages/index.html"],
        "permissions": ["payment", "userInfo"],
    }
    bundles.extract(data, checked, tmp_path / "v", LIMITS)
    assert (tmp_path / "v" / "pages" / "index.html").read_bytes() == INDEX


@pytest.mark.parametrize(
    "name",
    [
        "../evil.js",
        "pages/../../evil.js",
        "/etc/evil.js",
        "C:/evil.js",
        "pages\\..\\evil.js",
        "pages/./x.js",
        "pages//x.js",
        "pages/\x01.js",
    ],
)
def test_paths_outside_the_bundle_are_refused(name: str) -> None:
    info = zipfile.ZipInfo("placeholder.js")
    info.filename = name  # ZipInfo would normalise some of these; a hostile zip does not
    with pytest.raises(BadBundle) as exc:
        bundles.check(with_manifest((info, b"x")), LIMITS)
    assert reason(exc) == "bad-path"


def test_symlinks_are_refused() -> None:
    link = zipfile.ZipInfo("pages/passwd.txt")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with pytest.raises(BadBundle) as exc:
        bundles.check(with_manifest((link, b"/etc/passwd")), LIMITS)
    assert reason(exc) == "symlink"


@pytest.mark.parametrize("name", ["pages/run.sh", "pages/x.exe", "pages/x.php", "pages/inner.zip"])
def test_only_static_web_files_are_allowed(name: str) -> None:
    with pytest.raises(BadBundle) as exc:
        bundles.check(with_manifest((name, b"x")), LIMITS)
    assert reason(exc) == "file-type"


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(BadBundle) as exc:
        bundles.check(with_manifest(("pages/a.js", b"1"), ("pages/A.js", b"2")), LIMITS)
    assert reason(exc) == "duplicate"
    with pytest.raises(BadBundle) as exc, pytest.warns(UserWarning, match="Duplicate name"):
        bundles.check(with_manifest(("pages/a.js", b"1"), ("pages/a.js", b"2")), LIMITS)
    assert reason(exc) == "duplicate"


def test_manifest_is_required_and_checked() -> None:
    with pytest.raises(BadBundle) as exc:
        bundles.check(raw_zip([("pages/index.html", INDEX)]), LIMITS)
    assert reason(exc) == "manifest"
    for manifest in (
        {"pages": []},
        {"pages": ["pages/missing.html"]},
        {"pages": ["pages/app.js"]},
        {"pages": ["pages/index.html"], "permissions": ["readCookies"]},
    ):
        with pytest.raises(BadBundle):
            bundles.check(bundle(manifest=manifest), LIMITS)
    with pytest.raises(BadBundle) as exc:
        bundles.check(b"not a zip at all", LIMITS)
    assert reason(exc) == "not-a-zip"


def handmade_zip(entries: list[tuple[str, int, int, int, bytes]]) -> bytes:
    """A zip written by hand from (name, method, crc, uncompressed size, compressed data)."""
    out, central = bytearray(), bytearray()
    for name, method, crc, size, data in entries:
        raw = name.encode()
        offset = len(out)
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(data), size, len(raw), 0
        )
        out += raw + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50, 20, 20, 0, method, 0, 0, crc, len(data), size, len(raw),
            0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += raw
    n = len(entries)
    tail = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(central), len(out), 0)
    return bytes(out + central + tail)


def two_gib_of_zeros() -> tuple[int, bytes]:
    """(crc, raw deflate data) of 2 GiB of zeros, built from one 16 MiB block repeated: after a
    full flush each block is independent, so the stream is honest deflate."""
    chunk = bytes(16 * 1024 * 1024)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(128):
        crc = zlib.crc32(chunk, crc)
    return crc, block * 128 + b"\x03\x00"  # an empty final block ends the stream


def test_a_2_gb_zip_bomb_is_refused_from_the_central_directory(tmp_path: Path) -> None:
    """2 GiB of zeros deflate to ~2 MB: under the upload limit, refused before unpacking."""
    crc, bomb = two_gib_of_zeros()
    manifest = b'{"pages": ["index.html"]}'
    data = handmade_zip(
        [
            ("manifest.json", 0, zlib.crc32(manifest), len(manifest), manifest),
            ("index.html", 0, zlib.crc32(INDEX), len(INDEX), INDEX),
            ("pages/big.js", 8, crc, 2**31, bomb),
        ]
    )
    assert len(data) < LIMITS.max_bytes, len(data)
    # It is a real zip whose entry really inflates (the first MiB checked here).
    with zipfile.ZipFile(io.BytesIO(data)).open("pages/big.js") as f:
        assert f.read(1 << 20) == bytes(1 << 20)
    started = time.monotonic()
    with pytest.raises(BundleTooLarge) as exc:
        bundles.check(data, LIMITS)
    assert reason(exc) == "zip-bomb"
    assert time.monotonic() - started < 0.5
    # Even with limits high enough to pass the directory, unpacking stops at the limit.
    loose = BundleLimits(max_unpacked=2**32, max_ratio=10**6)
    checked = bundles.check(data, loose)
    tight = BundleLimits(max_unpacked=32 * 1024 * 1024)
    with pytest.raises(BundleTooLarge):
        bundles.extract(data, checked, tmp_path / "v", tight)
    assert not (tmp_path / "v").exists()


def test_many_small_files_adding_up_are_refused() -> None:
    limits = BundleLimits(max_unpacked=1024 * 1024, max_ratio=10_000)
    entries = [(f"pages/f{i}.txt", bytes(200 * 1024)) for i in range(6)]
    with pytest.raises(BundleTooLarge):
        bundles.check(with_manifest(*entries), limits)


def _lie_about_size(data: bytes, name: bytes, declared: int) -> bytes:
    """Rewrite the uncompressed size of `name` in both headers (a hostile zip's lie)."""
    buf = bytearray(data)
    i = 0
    while (i := buf.find(b"PK\x03\x04", i)) != -1:
        n = struct.unpack_from("<H", buf, i + 26)[0]
        if bytes(buf[i + 30 : i + 30 + n]) == name:
            struct.pack_into("<I", buf, i + 22, declared)
        i += 4
    i = 0
    while (i := buf.find(b"PK\x01\x02", i)) != -1:
        n = struct.unpack_from("<H", buf, i + 28)[0]
        if bytes(buf[i + 46 : i + 46 + n]) == name:
            struct.pack_into("<I", buf, i + 24, declared)
        i += 4
    return bytes(buf)


def test_a_central_directory_that_lies_is_caught_while_unpacking(tmp_path: Path) -> None:
    real = bytes(8 * 1024 * 1024)  # 8 MiB of zeros, declared as 1 KiB
    data = _lie_about_size(with_manifest(("pages/lie.js", real)), b"pages/lie.js", 1024)
    checked = bundles.check(data, LIMITS)  # the directory looks harmless
    target = tmp_path / "v"
    with pytest.raises((BundleTooLarge, BadBundle)):
        bundles.extract(data, checked, target, LIMITS)
    assert not target.exists()  # nothing half-unpacked is left


def test_encrypted_entries_are_refused() -> None:
    data = bytearray(with_manifest(("pages/x.js", b"secret")))
    i = 0
    while (i := data.find(b"PK\x01\x02", i)) != -1:
        n = struct.unpack_from("<H", data, i + 28)[0]
        if bytes(data[i + 46 : i + 46 + n]) == b"pages/x.js":
            struct.pack_into("<H", data, i + 8, struct.unpack_from("<H", data, i + 8)[0] | 1)
        i += 4
    with pytest.raises(BadBundle) as exc:
        bundles.check(bytes(data), LIMITS)
    assert reason(exc) == "encrypted"


def test_the_upload_limit_comes_first() -> None:
    with pytest.raises(BundleTooLarge):
        bundles.check(bytes(LIMITS.max_bytes + 1), LIMITS)
    assert zlib  # deflate is what makes bombs cheap


async def test_refused_uploads_store_nothing(api: Api, data_dir: Path) -> None:
    dev = await developer(api)
    info = zipfile.ZipInfo("x.js")
    info.filename = "../../escape.js"
    bad = [
        (with_manifest((info, b"x")), 422, "miniapp-bad-bundle"),
        (with_manifest(("pages/run.sh", b"x")), 422, "miniapp-bad-bundle"),
        (b"PK\x05\x06" + bytes(18), 422, "miniapp-bad-bundle"),
        (bytes(5 * 1024 * 1024), 413, "miniapp-bundle-too-large"),
    ]
    for data, status, kind in bad:
        r = await upload(api, dev, data)
        assert r.status_code == status, r.text
        assert ptype(r) == kind
    r = await api.client.get(
        f"/miniapps/console/apps/{dev.appid}/versions", headers=dev.user.headers
    )
    assert r.json() == []
    root = data_dir / "miniapps"
    assert not root.exists() or not any(root.iterdir())
    assert not (data_dir.parent / "escape.js").exists()
    # A good bundle after all that is accepted.
    r = await upload(api, dev, bundle())
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "develop"
    assert (root / str(r.json()["id"]) / "pages" / "index.html").read_bytes() == INDEX


def test_a_bundle_of_many_small_bombs_is_named_a_zip_bomb() -> None:
    """Each file alone under the per-file check, the whole far above the ratio."""
    files = {f"pages/f{i}.js": bytes(60 * 1024) for i in range(40)}
    data = bundle({"pages/index.html": INDEX, **files})
    with pytest.raises(BundleTooLarge) as exc:
        bundles.check(data, BundleLimits(max_ratio=50))
    assert reason(exc) == "zip-bomb"
