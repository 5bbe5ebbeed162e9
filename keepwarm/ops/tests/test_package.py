"""Keepwarm as a package: what `pip install .` gives an operator, and the pins behind it.

The wheel is built from a copy of the checkout without network (`--no-build-isolation`,
setuptools pinned in requirements-dev.txt) and installed into a fresh virtualenv in a
temporary folder. That venv sees this one's packages through a `.pth` line (a path, not a
site folder, so the editable install of the checkout is not picked up), so the test needs no
index, and what it proves is that the wheel itself carries templates, static files,
migrations and the `keepwarm` command.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from keepwarm.ops.tests.variables import PACKAGE, production_modules

CHECKOUT = PACKAGE.parent


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    home: Path  # a working folder outside the checkout

    def env(self, **extra: str) -> dict[str, str]:
        """The operator's environment: none of the test run's Keepwarm or Django settings."""
        kept = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("KEEPWARM_", "DJANGO_", "PYTHON"))
        }
        return {**kept, **extra}

    def keepwarm(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / "keepwarm"), *args],
            cwd=self.home,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=300,
        )


def _copy_source(to: Path) -> None:
    """What a source checkout ships, without caches or the tests' node tools."""
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(CHECKOUT / name, to / name)
    shutil.copytree(PACKAGE, to / "keepwarm", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("package")
    source, dist, venv, home = (root / n for n in ("source", "dist", "venv", "home"))
    source.mkdir()
    home.mkdir()
    _copy_source(source)
    pip: list[str | Path] = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", dist, "."],
        cwd=source,
        check=True,
        timeout=300,
    )
    (wheel,) = dist.glob("keepwarm-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=120)
    target = venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (target / "test-dependencies.pth").write_text("".join(f"{path}\n" for path in ours))
    install = ["install", "-q", "--no-deps", "--no-index", str(wheel)]
    subprocess.run(
        [*pip, "--python", venv / "bin" / "python", *install],
        check=True,
        timeout=300,
    )
    return Installed(wheel=wheel, venv=venv, home=home)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (http on loopback)
        return response.status, response.read()


def test_the_wheel_carries_every_template_static_file_migration_and_data_file_but_no_tests(
    installed: Installed,
) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    shipped = {
        str(path.relative_to(CHECKOUT))
        for path in PACKAGE.rglob("*")
        if path.is_file()
        and ({"templates", "static", "migrations", "data"} & set(path.relative_to(PACKAGE).parts))
        and "__pycache__" not in path.parts
        and "tests" not in path.parts
    }
    assert any(name.startswith("keepwarm/templates/emails/") for name in shipped)
    assert "keepwarm/network/data/esco-occupations.tsv.gz" in shipped
    assert "keepwarm/network/data/title-words.npz" in shipped
    assert shipped - names == set()
    assert [name for name in names if "/tests/" in name or "web_tests" in name] == []
    entry_points = next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
    with zipfile.ZipFile(installed.wheel) as wheel:
        assert "keepwarm = keepwarm.cli:main" in wheel.read(entry_points).decode()


def test_an_installed_wheel_migrates_and_serves_pages_and_static_files(
    installed: Installed,
) -> None:
    data = installed.home / "data"
    where = installed.venv / "bin" / "python"
    found = subprocess.run(
        [where, "-c", "import keepwarm; print(keepwarm.__file__)"],
        cwd=installed.home,
        env=installed.env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert found.startswith(str(installed.venv)), found

    migrated = installed.keepwarm("migrate", "--noinput", "-v0", KEEPWARM_DATA_DIR=str(data))
    assert migrated.returncode == 0, migrated.stderr
    assert (data / "keepwarm.sqlite3").is_file()

    port = _free_port()
    with _serving(installed, port, data) as base:
        status, page = _get(f"{base}/login/")
        assert status == 200
        assert b"Log in to Keepwarm" in page
        assert b'href="/static/keepwarm.css"' in page
        status, css = _get(f"{base}/static/keepwarm.css")
        assert (status, css) == (200, (PACKAGE / "static" / "keepwarm.css").read_bytes())
        status, script = _get(f"{base}/static/surveys/questionnaire.js")
        assert status == 200
        assert script == (PACKAGE / "surveys/static/surveys/questionnaire.js").read_bytes()


class _serving:
    """`keepwarm serve` from the installed venv, pages only, stopped with SIGTERM."""

    def __init__(self, installed: Installed, port: int, data: Path) -> None:
        self.installed, self.port, self.data = installed, port, data
        self.log = installed.home / "serve.log"

    def __enter__(self) -> str:
        with self.log.open("w") as out:
            keepwarm = str(self.installed.venv / "bin" / "keepwarm")
            self.server = subprocess.Popen(
                [keepwarm, "serve", f"127.0.0.1:{self.port}", "--no-worker", "--workers", "1"],
                cwd=self.installed.home,
                env=self.installed.env(KEEPWARM_DATA_DIR=str(self.data)),
                stdout=out,
                stderr=out,
            )
        base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"{base}/login/")
                return base
            except OSError:
                assert self.server.poll() is None, self.log.read_text()
                assert time.monotonic() < deadline, self.log.read_text()
                time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        self.server.send_signal(signal.SIGTERM)
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()


def test_an_installed_keepwarm_without_a_data_folder_asks_for_one(installed: Installed) -> None:
    result = installed.keepwarm("migrate", "--noinput")
    assert result.returncode != 0
    assert "KEEPWARM_DATA_DIR must be set when Keepwarm is installed as a package" in (
        result.stderr
    )


# --- Declared dependencies and pins --------------------------------------------------


def _pins(path: Path) -> dict[str, Requirement]:
    """A requirements file's entries by normalised name (hash and option lines skipped)."""
    found: dict[str, Requirement] = {}
    text = path.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].split(" --hash", 1)[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def _declared() -> dict[str, Requirement]:
    project = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["project"]
    return {canonicalize_name(req.name): req for req in map(Requirement, project["dependencies"])}


def _version(requirement: Requirement) -> str:
    (spec,) = requirement.specifier
    assert spec.operator == "==", f"{requirement} is not an exact pin"
    return spec.version


def _closure(roots: Iterable[Requirement]) -> set[str]:
    """Every installed distribution `roots` need, following extras and markers."""
    needed: dict[str, set[str]] = {}
    todo = [(req, set(req.extras)) for req in roots]
    while todo:
        req, extras = todo.pop()
        name = canonicalize_name(req.name)
        if name in needed and extras <= needed[name]:
            continue
        needed[name] = needed.get(name, set()) | extras
        try:
            requires = importlib.metadata.distribution(req.name).requires or []
        except importlib.metadata.PackageNotFoundError:
            pytest.fail(f"{req.name} is pinned but not installed: run make .venv/.dev")
        for line in requires:
            sub = Requirement(line)
            if sub.marker and not any(sub.marker.evaluate({"extra": e}) for e in extras or {""}):
                continue
            todo.append((sub, set(sub.extras)))
    return set(needed)


class _Imports(ast.NodeVisitor):
    """Top-level modules a file imports at run time (not under `if TYPE_CHECKING:`)."""

    def __init__(self) -> None:
        self.modules: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.modules.update(alias.name.split(".")[0] for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.modules.add(node.module.split(".")[0])


def _named_in_settings() -> set[str]:
    """Packages the settings load by dotted name: apps, middleware, storages, templates."""
    dotted = [
        *settings.INSTALLED_APPS,
        *settings.MIDDLEWARE,
        *(storage["BACKEND"] for storage in settings.STORAGES.values()),
        *(engine["BACKEND"] for engine in settings.TEMPLATES),
        settings.EMAIL_BACKEND,
    ]
    return {str(name).split(".")[0] for name in dotted}


def test_every_package_keepwarm_imports_is_a_declared_dependency() -> None:
    imported: set[str] = set()
    for path in production_modules():
        visitor = _Imports()
        visitor.visit(ast.parse(path.read_text(), str(path)))
        imported |= visitor.modules
    imported |= _named_in_settings()
    third_party = imported - set(sys.stdlib_module_names) - {"keepwarm", "__future__"}
    owners = importlib.metadata.packages_distributions()
    unknown = sorted(module for module in third_party if module not in owners)
    assert unknown == [], f"imported but installed by no distribution: {unknown}"
    needed = {str(canonicalize_name(owners[module][0])) for module in third_party}
    assert sorted(needed - set(_declared())) == [], "add to pyproject.toml's dependencies"


def test_pyproject_requirements_and_the_lock_agree() -> None:
    declared = _declared()
    pinned = _pins(CHECKOUT / "requirements.txt")
    assert sorted(declared) == sorted(pinned), "pyproject.toml and requirements.txt differ"
    for name, requirement in pinned.items():
        assert declared[name].specifier.contains(_version(requirement)), (
            f"requirements.txt pins {requirement}, outside pyproject.toml's {declared[name]}"
        )
    lock_text = (CHECKOUT / "requirements.lock").read_text()
    locked = _pins(CHECKOUT / "requirements.lock")
    # The lock is the runtime alone: nothing for tests, tools or benchmarks.
    assert sorted(locked) == sorted(_closure(pinned.values())), (
        "requirements.lock is out of date: regenerate it as README's Dependencies says"
    )
    constraints = _pins(CHECKOUT / "constraints.txt")
    for name, requirement in locked.items():
        assert _version(requirement) == _version(constraints[name]), name
        assert f"{requirement.name}=={_version(requirement)} \\\n    --hash=sha256:" in (
            lock_text
        ), f"{name} has no hash in requirements.lock"


def test_constraints_pin_exactly_what_the_runtime_and_the_tools_need() -> None:
    roots = [
        *_pins(CHECKOUT / "requirements.txt").values(),
        *_pins(CHECKOUT / "requirements-dev.txt").values(),
    ]
    constraints = _pins(CHECKOUT / "constraints.txt")
    needed = _closure(roots)
    assert sorted(needed - set(constraints)) == [], "missing from constraints.txt"
    bench = set(_pins(CHECKOUT / "bench" / "requirements.txt"))
    assert sorted(set(constraints) - needed) == [], "pinned but not needed (benchmark-only?)"
    assert bench & set(constraints) == set()
    for name in needed:
        assert importlib.metadata.version(name) == _version(constraints[name]), name
