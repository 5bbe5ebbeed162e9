"""A real OpenID Connect provider for the single sign-on tests: django-oauth-toolkit with
OIDC on, RS256 keys made by the test, run as its own Django process on a loopback port
(`python -m keepwarm.accounts.tests.oidc_provider`, started by `running.py`)."""
