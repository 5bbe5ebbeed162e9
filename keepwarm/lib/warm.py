"""Do a web worker's one-time work as it starts, not in its first visitors' requests."""

from __future__ import annotations

import gc
from pathlib import Path

from django.forms.renderers import BaseRenderer, get_default_renderer
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.template.backends.django import DjangoTemplates
from django.urls import get_resolver

# The form renderer keeps an engine of its own; only its widget and layout templates
# are ever loaded through it.
FORM_TEMPLATES = "django/forms"


def warm_up() -> int:
    """Build the URL map, compile every template and set aside for good what the process
    holds by then; return how many templates were compiled.

    Importing every view (the API's schemas, matching's tables) took seconds, and a page's
    templates took up to 0.2 s to compile the first time any visitor opened it, so the first
    person to open each page after a start or deploy waited. The template loaders cache
    compiled templates by name for the life of the process, so loading each name once fills
    that cache: about half a second for every template of every installed app.

    What exists once the worker has started (modules, the URL map, templates: ~250,000
    objects) lives as long as the process, yet Python's full garbage collection walked all
    of it, ~130 ms inside whichever request set one off. Frozen, collections skip it.
    """
    _ = get_resolver().reverse_dict
    compiled = 0
    for engine in engines.all():
        if isinstance(engine, DjangoTemplates):
            compiled += _compile_under(engine, "")
    renderer: BaseRenderer = get_default_renderer()
    form_engine = getattr(renderer, "engine", None)
    if isinstance(form_engine, DjangoTemplates):
        compiled += _compile_under(form_engine, FORM_TEMPLATES)
    gc.collect()
    gc.freeze()
    return compiled


def _compile_under(engine: DjangoTemplates, folder: str) -> int:
    compiled = 0
    for name in _template_names(engine, folder):
        try:
            engine.get_template(name)
        except (TemplateDoesNotExist, TemplateSyntaxError, UnicodeDecodeError):
            # Not ours to judge here (a third-party template for a tag library that is not
            # installed, a binary file): it fails, as before, when a page uses it.
            continue
        compiled += 1
    return compiled


def _template_names(engine: DjangoTemplates, folder: str) -> list[str]:
    """Every template name the engine can load from `folder`, each once."""
    names: dict[str, None] = {}
    for directory in map(Path, engine.template_dirs):
        for path in sorted((directory / folder).rglob("*")):
            if path.is_file():
                names[path.relative_to(directory).as_posix()] = None
    return list(names)
