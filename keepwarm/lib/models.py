from __future__ import annotations

from django.db import models


class SubmitCount(models.Model):
    """A fixed-window counter of submissions per key (a link, an address, a connection).

    A row per (key, window) in the database, so the limit holds across web processes
    and machines on either engine; old windows are deleted by the worker.
    """

    key = models.CharField(max_length=100)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        # The table questionnaires started; every rate limit now shares it.
        db_table = "surveys_submitcount"
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="submit_count_window")
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%H:%M}: {self.count}"
