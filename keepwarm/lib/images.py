"""Telling a real PNG or JPEG from anything else by its first bytes, not its name."""

from __future__ import annotations

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Every JPEG starts with Start Of Image and then a marker (APP0 JFIF, APP1 Exif, DQT, ...).
JPEG_SIGNATURE = b"\xff\xd8\xff"


def image_type(head: bytes) -> str | None:
    """ "image/png" or "image/jpeg" when `head` (the file's first 16 bytes) starts one."""
    # A PNG's first chunk is always IHDR, right after the 8-byte signature and a length.
    if head.startswith(PNG_SIGNATURE) and head[12:16] == b"IHDR":
        return "image/png"
    if head.startswith(JPEG_SIGNATURE) and len(head) > 3 and head[3] >= 0xC0:
        return "image/jpeg"
    return None


def extension(kind: str) -> str:
    return {"image/png": "png", "image/jpeg": "jpg"}[kind]
