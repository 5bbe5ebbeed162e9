"""keepwarm risk [--fit] [--now ISO]: recompute every first-year placement's risk.

Answers recompute a placement's risk as they arrive; silence and unanswered check-ins
grow with time, so run this once a day (cron or the scheduler of your choice).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from keepwarm.signals.services.fitting import fit_risk_model
from keepwarm.signals.services.risk import recompute_all


class Command(BaseCommand):
    help = "Recompute fall-off risk for placements in their first year; --fit refits the model."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fit", action="store_true", help="Also fit the model to outcomes.")
        parser.add_argument("--now", help="Run as of this ISO-8601 moment.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["now"]:
            try:
                now = dt.datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError("--now must be an ISO-8601 date and time") from None
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        count = recompute_all(now=now)
        self.stdout.write(f"Recomputed risk for {count} placement(s).")
        if options["fit"]:
            fitted = fit_risk_model(now=now)
            if fitted is None:
                self.stdout.write("Not enough outcomes to fit a model yet.")
            else:
                self.stdout.write(
                    f"Fitted on {fitted.n_outcomes} outcomes: AUC {fitted.auc:.3f} "
                    f"(default weights {fitted.default_auc:.3f})."
                )
