"""Password rules beyond Django's own, as NIST SP 800-63B asks: no context words."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from keepwarm.accounts.models import User

# The service's name: the first word an attacker tries against it.
CONTEXT_WORDS = ("keepwarm",)


class ContextWordsValidator:
    """Refuse the service's name and passwords made of one or two characters repeated."""

    def validate(self, password: str, user: User | None = None) -> None:
        folded = password.casefold()
        for word in CONTEXT_WORDS:
            if word in folded:
                raise ValidationError(
                    f"A password containing “{word}” is among the first an attacker tries.",
                    code="password_context_word",
                )
        if len(set(folded)) <= 2:
            raise ValidationError(
                "This password repeats one or two characters; use a few unrelated words.",
                code="password_repetitive",
            )

    def get_help_text(self) -> str:
        return "Not the word “keepwarm”, and not one character repeated."
