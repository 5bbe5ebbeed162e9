"""Migrate, register Keepwarm as a client and the test's users, then serve until killed."""

from __future__ import annotations

import os

import django

# Django's models and servers can be imported only once the provider's settings are set up.
os.environ["DJANGO_SETTINGS_MODULE"] = "keepwarm.accounts.tests.oidc_provider.settings"
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.servers.basehttp import run  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402

from keepwarm.accounts.tests.oidc_provider.claims import USERS  # noqa: E402
from keepwarm.accounts.tests.oidc_provider.settings import PORT  # noqa: E402

call_command("migrate", verbosity=0)
for username, user in USERS.items():
    User.objects.create_user(username=username, password=user["password"])
Application.objects.create(
    name="Keepwarm",
    client_id=os.environ["KW_IDP_CLIENT_ID"],
    client_secret=os.environ["KW_IDP_CLIENT_SECRET"],
    redirect_uris=os.environ["KW_IDP_REDIRECT_URI"],
    client_type=Application.CLIENT_CONFIDENTIAL,
    authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    skip_authorization=True,
    algorithm=Application.RS256_ALGORITHM,
)
run("127.0.0.1", PORT, get_wsgi_application(), threading=True)
