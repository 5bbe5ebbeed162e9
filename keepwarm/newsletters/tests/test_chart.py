from __future__ import annotations

import struct
import zlib

from keepwarm.newsletters.chart import WIDTH, bar_chart


def test_bar_chart_is_a_valid_png_with_a_row_per_label() -> None:
    png = bar_chart(["Technology", "Healthcare"], [28, 10], [34, 9])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    _length, kind = struct.unpack(">I4s", png[8:16])
    width, height = struct.unpack(">II", png[16:24])
    assert kind == b"IHDR" and (width, height) == (WIDTH, 20 + 2 * 30)
    idat = png.index(b"IDAT")
    size = struct.unpack(">I", png[idat - 4 : idat])[0]
    raw = zlib.decompress(png[idat + 4 : idat + 4 + size])
    assert len(raw) == height * (1 + width * 3)
    assert raw.count(bytes((31, 111, 139))) > 100  # the bars are drawn
