"""Which KEEPWARM_* environment variables Keepwarm reads, found in the code itself.

A variable counts when production code passes its name, as a literal, to one of the strict
readers in `lib/env.py` (`env_str`, `env_bool`, `env_int`, … any `env_*`) or to
`os.environ`/`os.getenv`. Tests' own variables (KEEPWARM_FUZZ_EXAMPLES, …) do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import keepwarm

PACKAGE = Path(keepwarm.__file__).resolve().parent
_TEST_ONLY = {"conftest.py", "pytest_plugin.py"}


def production_modules() -> list[Path]:
    """Every module a server runs: not the tests, not the pytest plugin."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if "tests" in parts or "web_tests" in parts or parts[-1] in _TEST_ONLY:
            continue
        found.append(path)
    return found


def _reads_environment(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id.startswith("env_") or func.id == "getenv"
    if isinstance(func, ast.Attribute):
        owner = ast.unparse(func.value)
        return func.attr.startswith("env_") or owner in ("os.environ", "environ", "os")
    return False


def variables_read() -> set[str]:
    names = set()
    for path in production_modules():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and _reads_environment(node) and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and str(first.value).startswith("KEEPWARM_"):
                    names.add(str(first.value))
            elif (
                isinstance(node, ast.Subscript)
                and ast.unparse(node.value) == "os.environ"
                and isinstance(node.slice, ast.Constant)
                and str(node.slice.value).startswith("KEEPWARM_")
            ):
                names.add(str(node.slice.value))
    return names
