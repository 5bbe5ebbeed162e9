"""The drawing of the layers in docs/architecture.md lists the rows lint-imports holds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[3]


def _contract_rows() -> list[list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["id"] == "layers")["layers"]
    return [sorted(m.strip().removeprefix("keepwarm.") for m in row.split("|")) for row in layers]


def _drawn_rows() -> list[list[str]]:
    page = (ROOT / "docs" / "architecture.md").read_text()
    rooms = page.split("## The rooms", 1)[1]
    drawing = rooms.split("```", 2)[1]
    rows = []
    for line in drawing.splitlines():
        # Group names stand in the first 16 columns, each row's apps from the 17th on.
        found = re.match(r"[a-z]+(?: \| [a-z]+)*", line[16:])
        if found:
            rows.append(sorted(found.group(0).split(" | ")))
    return rows


def test_the_architecture_page_draws_the_layers_that_lint_imports_holds() -> None:
    assert _drawn_rows() == _contract_rows()
