"""Photo-like pictures of QR codes for the scanning tests and the benchmark: the code printed
on paper, scaled, rotated, slightly sheared, on a busy background, blurred, unevenly lit, with
sensor noise and JPEG compression."""

from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def busy_background(size: tuple[int, int], rng: random.Random) -> Image.Image:
    w, h = size
    img = Image.new("RGB", size, (rng.randrange(90, 200),) * 3)
    draw = ImageDraw.Draw(img)
    for _ in range(120):
        colour = tuple(rng.randrange(0, 256) for _ in range(3))
        x, y = rng.randrange(-100, w), rng.randrange(-100, h)
        dx, dy = rng.randrange(10, 300), rng.randrange(10, 300)
        shape = rng.choice(("rect", "ellipse", "line"))
        if shape == "rect":
            draw.rectangle((x, y, x + dx, y + dy), fill=colour)
        elif shape == "ellipse":
            draw.ellipse((x, y, x + dx, y + dy), fill=colour)
        else:
            draw.line((x, y, x + dx, y + dy), fill=colour, width=rng.randrange(1, 12))
    # Small black-and-white checker patches, which look a little like finder patterns.
    for _ in range(6):
        x, y, cell = rng.randrange(0, w - 60), rng.randrange(0, h - 60), rng.randrange(3, 8)
        for i in range(8):
            for j in range(8):
                if (i + j) % 2:
                    draw.rectangle(
                        (x + i * cell, y + j * cell, x + (i + 1) * cell, y + (j + 1) * cell),
                        fill="black",
                    )
    return img


def photo_of(
    code_png: bytes,
    *,
    size: tuple[int, int] = (1280, 960),
    code_fraction: float = 0.45,
    angle: float = 17.0,
    blur: float = 1.2,
    noise: float = 10.0,
    seed: int = 1,
    quality: int = 80,
) -> bytes:
    """A JPEG "photo" of the QR code image `code_png`."""
    rng = random.Random(seed)
    photo = busy_background(size, rng)
    code = Image.open(io.BytesIO(code_png)).convert("RGB")
    side = int(min(size) * code_fraction)
    code = code.resize((side, side), Image.Resampling.BILINEAR)
    # The printed card: a little paper margin, slightly off-white.
    paper = Image.new("RGB", (side + 40, side + 40), (238, 236, 228))
    paper.paste(code, (20, 20))
    shear = rng.uniform(-0.08, 0.08)
    paper = paper.transform(
        paper.size,
        Image.Transform.AFFINE,
        (1, shear, 0, 0, 1, 0),
        Image.Resampling.BILINEAR,
        fillcolor=(238, 236, 228),
    )
    mask = Image.new("L", paper.size, 255)
    paper = paper.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    mask = mask.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    x = rng.randrange(0, max(1, size[0] - paper.width))
    y = rng.randrange(0, max(1, size[1] - paper.height))
    photo.paste(paper, (x, y), mask)
    if blur:
        photo = photo.filter(ImageFilter.GaussianBlur(blur))
    arr = np.asarray(photo).astype(np.float32)
    # Uneven lighting: darker towards one corner.
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
    light = 0.75 + 0.25 * (1 - (xx / size[0] + yy / size[1]) / 2)
    arr *= light[..., None]
    arr += np.random.default_rng(seed).normal(0, noise, arr.shape)
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def picture_without_code(size: tuple[int, int] = (800, 600), seed: int = 3) -> bytes:
    buf = io.BytesIO()
    busy_background(size, random.Random(seed)).save(buf, "JPEG", quality=85)
    return buf.getvalue()
