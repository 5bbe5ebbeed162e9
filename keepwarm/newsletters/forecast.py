"""Next quarter's placements in a sector, with a range, from the quarters before it.

Exponential smoothing (ETS, statsmodels) with the model chosen by AICc among no trend or
a damped trend, with or without a yearly season when there is history enough to estimate
one. The quarter in progress counts: the placements already made for it are a floor, and
the share of the quarter gone weights them against the model's own expectation, so a
strong or weak start moves the forecast for the next quarter too. Too short a history
gets a plain average and a sentence saying so. Nothing is downloaded; the fitting runs in
a few milliseconds per sector.

bench/bench_forecast.py backtests `forecast_next` against seasonal naive on public
employment series.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Quarters of history below which no model is fitted (the average of what there is), and
# below which no season is estimated: two full years and a half, at least.
MIN_FOR_MODEL = 6
MIN_FOR_SEASON = 10
SEASON = 4
# The range shown is the model's 80% prediction interval: wide enough to be honest,
# narrow enough to plan with.
COVERAGE = 0.8
SIMPLE = "average"


@dataclass(frozen=True)
class Outlook:
    """A forecast for the quarter after the current one: a central value and a range."""

    expected: float
    low: float
    high: float
    method: str  # "ets:<trend><season>" or SIMPLE

    @property
    def simple(self) -> bool:
        return self.method == SIMPLE


def nowcast(*, expected: float, so_far: float, elapsed: float) -> float:
    """The current quarter's total: what is already made, and the model's expectation for
    the rest weighted by the share of the quarter still to come (`elapsed` from 0 to 1)."""
    elapsed = min(1.0, max(0.0, elapsed))
    prorated = so_far / elapsed if elapsed > 0 else expected
    return max(so_far, elapsed * prorated + (1 - elapsed) * expected)


def forecast_next(
    history: Sequence[float], *, so_far: float | None = None, elapsed: float = 0.0
) -> Outlook:
    """The quarter after the current one, from complete quarters `history` (oldest first,
    ending with the last complete quarter) and, when given, `so_far` made in the current
    quarter with `elapsed` of it gone."""
    values = [float(v) for v in history]
    if len(values) < MIN_FOR_MODEL:
        return _average(values, so_far=so_far, elapsed=elapsed)
    try:
        fitted = _best_model(values)
    except ValueError:  # numpy's LinAlgError is one
        return _average(values, so_far=so_far, elapsed=elapsed)
    if so_far is None:
        # Two steps ahead: the current quarter, then the next one.
        low, mid, high = _interval(fitted, steps=2)
        return _outlook(mid, low, high, _name(fitted))
    current = float(next(iter(fitted.forecast(1))))
    filled = [*values, nowcast(expected=current, so_far=so_far, elapsed=elapsed)]
    refitted = _refit(fitted, filled)
    low, mid, high = _interval(refitted, steps=1)
    return _outlook(mid, low, high, _name(fitted))


def _outlook(mid: float, low: float, high: float, method: str) -> Outlook:
    # Placements are counts: never below zero.
    return Outlook(expected=max(0.0, mid), low=max(0.0, low), high=max(0.0, high), method=method)


def _average(values: list[float], *, so_far: float | None, elapsed: float) -> Outlook:
    """The mean of the quarters we have (with this quarter's pace when it is known), and
    the range of what they were."""
    seen = list(values)
    if so_far is not None and elapsed > 0:
        seen.append(nowcast(expected=statistics.fmean(values) if values else 0.0,
                            so_far=so_far, elapsed=elapsed))  # fmt: skip
    if not seen:
        return Outlook(expected=0.0, low=0.0, high=0.0, method=SIMPLE)
    return Outlook(expected=statistics.fmean(seen), low=min(seen), high=max(seen), method=SIMPLE)


# --- statsmodels ------------------------------------------------------------------------


def _candidates(count: int) -> list[tuple[str | None, bool, str | None]]:
    """(trend, damped, seasonal) for each model worth trying on `count` quarters."""
    seasons: list[str | None] = [None, "add"] if count >= MIN_FOR_SEASON else [None]
    return [(trend, trend is not None, season) for trend in (None, "add") for season in seasons]


def _fit(values: list[float], trend: str | None, damped: bool, seasonal: str | None) -> Any:
    # Imported on the first forecast, not at start-up: numpy, pandas and statsmodels take
    # about a second and tens of MB that every web and worker process would otherwise pay.
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    model = ETSModel(
        # A pandas series: statsmodels' prediction intervals need its index.
        pd.Series(values, dtype=float),
        error="add",
        trend=trend,
        damped_trend=damped,
        seasonal=seasonal,
        seasonal_periods=SEASON if seasonal else None,
    )
    with warnings.catch_warnings():
        # Convergence chatter on short, flat series: the AICc comparison copes with it.
        warnings.simplefilter("ignore")
        return model.fit(disp=False)


def _best_model(values: list[float]) -> Any:
    best = None
    for trend, damped, seasonal in _candidates(len(values)):
        try:
            fitted = _fit(values, trend, damped, seasonal)
        except ValueError:  # numpy's LinAlgError is one
            continue
        score = float(fitted.aicc)
        if not math.isfinite(score):
            continue
        if best is None or score < best[0]:
            best = (score, fitted)
    if best is None:
        raise ValueError("no model could be fitted")
    return best[1]


def _refit(fitted: Any, values: list[float]) -> Any:
    """The chosen model form, fitted again with the current quarter's estimate added."""
    model = fitted.model
    trend = "add" if model.has_trend else None
    seasonal = "add" if model.seasonal else None
    try:
        return _fit(values, trend, bool(model.damped_trend), seasonal)
    except ValueError:  # numpy's LinAlgError is one
        return fitted


def _interval(fitted: Any, *, steps: int) -> tuple[float, float, float]:
    count = fitted.nobs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = fitted.get_prediction(start=count, end=count + steps - 1).summary_frame(
            alpha=1 - COVERAGE
        )
    last = frame.iloc[-1]
    return float(last["pi_lower"]), float(last["mean"]), float(last["pi_upper"])


def _name(fitted: Any) -> str:
    model = fitted.model
    trend = "damped trend" if model.has_trend else "level"
    return f"ets:{trend}{', seasonal' if model.seasonal else ''}"
