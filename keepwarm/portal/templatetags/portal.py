from __future__ import annotations

from django import template

from keepwarm.people.links import public_page_url

register = template.Library()


@register.simple_tag
def personal_page_sign_in_url() -> str:
    """The public page where anyone asks for a sign-in link to their personal page: for
    emails rendered once for many readers (newsletters), which carry no personal token."""
    return public_page_url()
