from __future__ import annotations

import datetime as dt

from django.apps import AppConfig


def _closures() -> list[tuple[dt.date, dt.date]]:
    from keepwarm.care.models import Closure

    return list(Closure.objects.values_list("first_day", "last_day"))


class Config(AppConfig):
    name = "keepwarm.care"
    label = "care"

    def ready(self) -> None:
        # lib.working_days knows no models: the agency's closures are handed to it here.
        from keepwarm.lib.working_days import use_closures

        use_closures(_closures)
