"""Shared helpers for the benchmarks: Django set-up, database URLs, timing and printing.

Every benchmark reports its figure against a ceiling measured in the same run, so the
numbers hold on a noisy machine. Benchmarks are not tests: they print, they never fail
because the machine was slow.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"

if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))


def default_sqlite_url(scale: float) -> str:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{OUT_DIR / f'bench-{scale:g}.sqlite3'}"


def database_url(scale: float) -> str:
    """KEEPWARM_DATABASE_URL if set, else a SQLite file under bench/out/ for this scale."""
    return os.environ.get("KEEPWARM_DATABASE_URL") or default_sqlite_url(scale)


def setup_django(url: str, **env: str) -> None:
    """Point Keepwarm at `url` and start Django. Call once, before importing models."""
    os.environ["KEEPWARM_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keepwarm.settings")
    os.environ.setdefault("KEEPWARM_DATA_DIR", str(OUT_DIR / "data"))
    # whitenoise warns about a missing static root; the benchmarks serve no static files.
    (Path(os.environ["KEEPWARM_DATA_DIR"]) / "static").mkdir(parents=True, exist_ok=True)
    for key, value in env.items():
        os.environ[key] = value
    import django

    django.setup()


def engine_name() -> str:
    from django.db import connection

    return "postgresql" if connection.vendor == "postgresql" else connection.vendor


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 40 samples is the 38th smallest)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def figure(name: str, value: float, ceiling: float, unit: str, goal: str) -> str:
    """One line: "name: value vs ceiling = ratio (goal ...)"."""
    ratio = value / ceiling if ceiling else float("inf")
    line = (
        f"{name}: {value:.1f} {unit} vs ceiling {ceiling:.1f} {unit} = {ratio:.2f}x (goal {goal})"
    )
    print(line, flush=True)
    return line
