"""keepwarm risk [--fit] [--now ISO]: recompute every live placement's risk.

Answers recompute a placement's risk as they arrive; silence, unanswered check-ins and
tenure move with time, so the worker runs this once a day (or run it from cron).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from keepwarm.signals.services.fitting import fit_risk_model
from keepwarm.signals.services.risk import recompute_all


class Command(BaseCommand):
    help = "Recompute fall-off risk for every live placement; --fit refits the model."

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
        self.stdout.write(f"Recomputed risk for {count} placement{'' if count == 1 else 's'}.")
        if options["fit"]:
            fitted = fit_risk_model(now=now)
            if fitted is None:
                self.stdout.write("Not enough outcomes to fit a model yet.")
            else:
                self.stdout.write(
                    f"Fitted on {fitted.n_outcomes} outcomes: held-out AUC {fitted.auc:.3f} "
                    f"(built-in weights {fitted.default_auc:.3f})."
                )
