"""A small bar chart as a PNG, in pure Python (zlib + struct).

Email clients show an <img> everywhere, SVG and JavaScript almost nowhere, so the chart
is a plain PNG. Labels are drawn with a 3×5 pixel font scaled up: enough for sector
names and numbers, and the table beside the image carries the same figures as text.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

WIDTH = 560
SCALE = 2  # font pixels
ROW = 30
PAD = 10
LABEL_CHARS = 20
BACKGROUND = (255, 255, 255)
INK = (51, 51, 51)
COLOURS = ((31, 111, 139), (170, 190, 200))  # this period, the period before

# 3×5 glyphs, rows top to bottom, "1" = ink.
_FONT = {
    "A": "010101111101101",
    "B": "110101110101110",
    "C": "011100100100011",
    "D": "110101101101110",
    "E": "111100110100111",
    "F": "111100110100100",
    "G": "011100101101011",
    "H": "101101111101101",
    "I": "111010010010111",
    "J": "001001001101010",
    "K": "101101110101101",
    "L": "100100100100111",
    "M": "101111111101101",
    "N": "110101101101101",
    "O": "010101101101010",
    "P": "110101110100100",
    "Q": "010101101110011",
    "R": "110101110101101",
    "S": "011100010001110",
    "T": "111010010010010",
    "U": "101101101101111",
    "V": "101101101101010",
    "W": "101101111111101",
    "X": "101101010101101",
    "Y": "101101010010010",
    "Z": "111001010100111",
    "0": "111101101101111",
    "1": "010110010010111",
    "2": "110001010100111",
    "3": "110001010001110",
    "4": "101101111001001",
    "5": "111100110001110",
    "6": "011100111101111",
    "7": "111001010010010",
    "8": "111101111101111",
    "9": "111101111001110",
    " ": "000000000000000",
    "-": "000000111000000",
    ".": "000000000000010",
    ",": "000000000010100",
    "%": "101001010100101",
    "+": "000010111010000",
    "&": "010101010101011",
    "/": "001001010100100",
    "£": "011010111010111",
    "?": "110001010000010",
}


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray(bytes(BACKGROUND) * (width * height))

    def rect(self, x: int, y: int, w: int, h: int, colour: tuple[int, int, int]) -> None:
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.width, x + w), min(self.height, y + h)
        if x1 <= x0 or y1 <= y0:
            return
        line = bytes(colour) * (x1 - x0)
        for row in range(y0, y1):
            start = (row * self.width + x0) * 3
            self.pixels[start : start + len(line)] = line

    def text(self, x: int, y: int, text: str, colour: tuple[int, int, int] = INK) -> int:
        """Draw `text` with its top-left at (x, y); returns the x after it."""
        for char in text.upper():
            glyph = _FONT.get(char, _FONT["?"])
            for index, bit in enumerate(glyph):
                if bit == "1":
                    col, row = index % 3, index // 3
                    self.rect(x + col * SCALE, y + row * SCALE, SCALE, SCALE, colour)
            x += 4 * SCALE
        return x

    def png(self) -> bytes:
        raw = b"".join(
            b"\x00" + bytes(self.pixels[row * self.width * 3 : (row + 1) * self.width * 3])
            for row in range(self.height)
        )

        def chunk(kind: bytes, data: bytes) -> bytes:
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )


def text_width(text: str) -> int:
    return len(text) * 4 * SCALE


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    previous: Sequence[float] | None = None,
) -> bytes:
    """Horizontal bars, one row per label; `previous` draws a thinner bar beneath."""
    rows = len(labels)
    height = PAD * 2 + max(1, rows) * ROW
    canvas = Canvas(WIDTH, height)
    label_width = PAD + text_width("W" * LABEL_CHARS) + PAD
    highest = max([*values, *(previous or []), 1])
    number_room = text_width("000,000") + PAD
    room = WIDTH - label_width - number_room - PAD
    for index, label in enumerate(labels):
        top = PAD + index * ROW
        canvas.text(PAD, top + 4, label[:LABEL_CHARS])
        value = float(values[index])
        length = max(1, round(room * value / highest)) if value > 0 else 0
        canvas.rect(label_width, top + 2, length, 12, COLOURS[0])
        canvas.text(label_width + length + 6, top + 3, _number(value))
        if previous is not None:
            before = float(previous[index])
            length = max(1, round(room * before / highest)) if before > 0 else 0
            canvas.rect(label_width, top + 16, length, 6, COLOURS[1])
    return canvas.png()
