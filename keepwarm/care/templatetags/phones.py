"""Phone numbers on pages: shown as people write them, dialled as stored (E.164)."""

from __future__ import annotations

from django import template

from keepwarm.lib.phones import dial_phone, display_phone

register = template.Library()


@register.filter
def phone(stored: str | None) -> str:
    """ "+442079460958" -> "020 7946 0958" (international for numbers abroad)."""
    return display_phone(stored or "")


@register.filter
def dial(stored: str | None) -> str:
    """The tel: link's number."""
    return dial_phone(stored or "")
