"""The Django admin at /admin/, for operators: every Keepwarm table, read-only by default.

Only admins (role or superuser) who passed the second factor in this session get in,
whatever KEEPWARM_REQUIRE_SECOND_FACTOR says: the admin shows every row of every table.
Others signed in get a 403 saying so; anyone else signs in on Keepwarm's own page first.
What it shows is on the audit trail like any page: one "viewed" entry per row a list
shows and per record opened. Edits (KEEPWARM_ADMIN_EDITS) are recorded there too, but
bypass the services and their checks (a placement's version, who may see money), so they
are off unless an operator needs a repair.
Secrets (password hashes, TOTP secrets, token digests, webhook secrets) are never shown.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from keepwarm.accounts.middleware import second_factor_passed
from keepwarm.accounts.models import User
from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import (
    record_changed,
    record_created,
    record_for,
    record_objects,
    record_read,
    stored_values,
)

# Columns that hold a secret or a hash standing for one.
SECRET_FIELDS = frozenset({"password", "secret", "previous_secret", "digest", "email_hash"})

REFUSED = (
    "The Django admin is for admins who signed in with their second factor "
    "(KEEPWARM_REQUIRE_SECOND_FACTOR on)."
)


def is_operator(request: HttpRequest) -> bool:
    user = request.user
    return (
        isinstance(user, User)
        and user.is_active
        and user.is_admin
        and second_factor_passed(request)
    )


class OperatorsSite(admin.AdminSite):
    site_header = "Keepwarm: every table"
    site_title = "Keepwarm admin"
    index_title = "Tables"

    def has_permission(self, request: HttpRequest) -> bool:
        return is_operator(request)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        # One way to sign in: Keepwarm's page, with its lockout and second factor.
        if request.user.is_authenticated:
            raise PermissionDenied(REFUSED)
        return redirect_to_login(request.GET.get("next") or "/admin/")


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Shows a table's rows; changes them only when KEEPWARM_ADMIN_EDITS is on."""

    list_per_page = 50
    # Django 6's default, and what a person means by a bare "agency.example".
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields if f.name in SECRET_FIELDS]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_operator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator(request)

    def _may_edit(self, request: HttpRequest) -> bool:
        return bool(settings.KEEPWARM_ADMIN_EDITS) and is_operator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_edit(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request)

    # Edits (KEEPWARM_ADMIN_EDITS) are on the audit trail like the services' writes, with
    # each field's old and new value; Django's own LogEntry is not kept, since it would
    # hold names an erasure cannot reach.
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = stored_values(obj) if change else None  # the change view's transaction
        super().save_model(request, obj, form, change)
        if before is None:
            record_created(obj)
        else:
            record_changed(obj, before)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record_for(AuditEntry.Action.DELETED, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        record_objects(AuditEntry.Action.DELETED, queryset)
        super().delete_queryset(request, queryset)

    # Django ignores what these return; no LogEntry is made.
    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> None:  # type: ignore[override]
        pass

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> None:  # type: ignore[override]
        pass

    def log_deletion(self, request: HttpRequest, obj: Any, object_repr: str) -> None:  # type: ignore[override]
        pass

    def log_deletions(self, request: HttpRequest, queryset: Any) -> None:  # type: ignore[override]
        pass

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, str] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and isinstance(response, TemplateResponse):
            changelist = (response.context_data or {}).get("cl")
            if changelist is not None:
                record_read(changelist.result_list)
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            shown = self.get_object(request, object_id)
            if shown is not None:
                record_for(AuditEntry.Action.VIEWED, shown)
        return response


class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """The trail itself: never changed from here, and reading it adds nothing to it."""

    list_display = ("at", "actor_name", "action", "object_type", "object_id", "object_repr")
    list_per_page = 50

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_operator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


operators_site = OperatorsSite(name="admin")


def _keepwarm_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("keepwarm.")]


for _model in _keepwarm_models():
    operators_site.register(_model, AuditEntryAdmin if _model is AuditEntry else ReadOnlyAdmin)
