from django.urls import include, path

from keepwarm.mail.webhooks import provider_webhook
from keepwarm.ops.admin import operators_site

urlpatterns = [
    # First: the answer page behind emailed links, opened by thousands the morning after a
    # mailing (and by mail scanners), tries no other page's patterns before its own.
    path("", include("keepwarm.surveys.urls")),
    path("", include("keepwarm.care.urls")),
    path("", include("keepwarm.accounts.urls")),
    # Agency settings (admins), and the logo and favicon every page shows.
    path("", include("keepwarm.agency.urls")),
    path("people/", include("keepwarm.people.urls")),
    path("placements/", include("keepwarm.placements.urls")),
    path("mail/", include("keepwarm.mail.urls")),
    path("", include("keepwarm.signals.urls")),
    path("newsletters/", include("keepwarm.newsletters.urls")),
    path("", include("keepwarm.network.urls")),
    path("reports/", include("keepwarm.reports.urls")),
    path("imports/", include("keepwarm.imports.urls")),
    path("", include("keepwarm.integrations.urls")),
    path("privacy/", include("keepwarm.privacy.urls")),
    path("audit/", include("keepwarm.audit.urls")),
    # The System page, and /healthz for monitors.
    path("", include("keepwarm.ops.urls")),
    path("api/v1/", include("keepwarm.api.urls")),
    # Every table, read-only unless KEEPWARM_ADMIN_EDITS: admins with the second factor.
    path("admin/", operators_site.urls),
    # Outsiders' pages: sign up, confirm, email preferences, one-click unsubscribe.
    path("", include("keepwarm.portal.urls")),
    # Email providers' signed webhooks: bounces, complaints, deliveries (keepwarm.mail.webhooks).
    path("anymail/<slug:provider>/tracking/", provider_webhook, name="provider_webhook"),
]

# A database kept busy by an import answers "try again in a minute", not a crash page.
handler500 = "keepwarm.lib.busy.server_error"
