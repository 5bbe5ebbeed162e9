"""The favicon, drawn in the agency's colour: an SVG, and a PNG (inside an ICO) for browsers
that ask for /favicon.ico or take no SVG. Written by hand so no imaging library is needed."""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

SIZE = 32


def svg(colour: str) -> str:
    """A rounded square in `colour` with a warm white dot: the mark of a page kept warm."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
        f'<rect width="32" height="32" rx="7" fill="{colour}"/>'
        '<circle cx="16" cy="16" r="7" fill="#ffffff"/></svg>'
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


@lru_cache(maxsize=8)
def png(colour: str) -> bytes:
    """The same mark as a 32 × 32 PNG (a square, its corners left transparent)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    rows = []
    for y in range(SIZE):
        row = bytearray([0])  # filter: none
        for x in range(SIZE):
            dx, dy = x - 15.5, y - 15.5
            corner = min(x, SIZE - 1 - x) < 3 and min(y, SIZE - 1 - y) < 3
            if dx * dx + dy * dy <= 49:
                row += bytes([255, 255, 255, 255])
            elif corner and (abs(dx) - 12.5) ** 2 + (abs(dy) - 12.5) ** 2 > 9:
                row += bytes([0, 0, 0, 0])
            else:
                row += bytes([r, g, b, 255])
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


def ico(colour: str) -> bytes:
    """The PNG wrapped as an .ico (one image; every browser since 2009 reads PNG inside)."""
    image = png(colour)
    directory = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", SIZE, SIZE, 0, 0, 1, 32, len(image), 6 + 16)
    return directory + entry + image
