"""Keepwarm settings. Every variable is listed with its default in .env.example."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

import dj_database_url
import django_stubs_ext
import holidays
from django.core.exceptions import ImproperlyConfigured

from keepwarm.lib.env import env_bool, env_int, env_str, env_time_zone
from keepwarm.lib.logs import FORMATS as LOG_FORMATS
from keepwarm.lib.logs import logging_config
from keepwarm.lib.net import is_loopback_host

# Before any app is imported: Django's forms, formsets and lookups accept the type
# parameters their stubs declare (`forms.ModelForm[Person]`) only once this has run.
django_stubs_ext.monkeypatch(include_builtins=False)

BASE_DIR = Path(__file__).resolve().parent.parent
# Templates and static files live inside the package, so an installed wheel carries them.
PACKAGE_DIR = Path(__file__).resolve().parent


def _data_dir() -> Path:
    """The folder for the SQLite database, uploads and collected static files."""
    if named := env_str("KEEPWARM_DATA_DIR"):
        return Path(named).resolve()
    if (BASE_DIR / "manage.py").is_file():  # a checkout: `data/` beside the code
        return (BASE_DIR / "data").resolve()
    # An installed package has no folder of its own to write to, and the web server and
    # the workers must share one, so the operator names it.
    raise ImproperlyConfigured(
        "KEEPWARM_DATA_DIR must be set when Keepwarm is installed as a package: the folder "
        "for the SQLite database, uploaded files and static files (e.g. /var/lib/keepwarm)"
    )


DATA_DIR = _data_dir()

DEBUG = env_bool("KEEPWARM_DEBUG", False)
BASE_URL = env_str("KEEPWARM_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
_base = urlsplit(BASE_URL)
if _base.scheme not in ("http", "https") or not _base.hostname:
    raise ImproperlyConfigured(f"KEEPWARM_BASE_URL must be an http(s) URL; got {BASE_URL!r}")
SECURE = _base.scheme == "https"

# Local demo and tests only: `check --deploy` reports an error wherever it is in use.
BUILT_IN_SECRET_KEY = "insecure-local-only-keepwarm-key-do-not-use-in-production-0123456789"  # noqa: S105
SECRET_KEY = env_str("KEEPWARM_SECRET_KEY")
if not SECRET_KEY:
    # Anyone can read the built-in key here, and with it forge sessions and emailed links:
    # only a server nobody else can reach (a loopback base URL) may use it.
    if not is_loopback_host(_base.hostname):
        raise ImproperlyConfigured(
            f"KEEPWARM_SECRET_KEY must be set when KEEPWARM_BASE_URL is not on this machine "
            f"(127.0.0.1, ::1 or localhost); the base URL's host is {_base.hostname!r}"
        )
    SECRET_KEY = BUILT_IN_SECRET_KEY

ALLOWED_HOSTS = [_base.hostname, "127.0.0.1", "localhost", "testserver"]
CSRF_TRUSTED_ORIGINS = [f"{_base.scheme}://{_base.netloc}"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "anymail",
    "keepwarm.lib",
    "keepwarm.accounts",
    "keepwarm.agency",
    "keepwarm.people",
    "keepwarm.placements",
    "keepwarm.care",
    "keepwarm.mail",
    "keepwarm.surveys",
    "keepwarm.signals",
    "keepwarm.newsletters",
    "keepwarm.network",
    "keepwarm.reports",
    "keepwarm.imports",
    "keepwarm.integrations",
    "keepwarm.ops",
    "keepwarm.worker",
    "keepwarm.privacy",
    "keepwarm.audit",
    "keepwarm.portal",
    "keepwarm.api",
    "keepwarm.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, keeping the browser's cookie when a late request carries a replaced id.
    "keepwarm.accounts.middleware.SessionKeptMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who a consultant covers, asked by every "may see" query, read once per page view.
    "keepwarm.lib.memo.RequestMemoMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A change to someone erased on request answers with the reason, not an error page.
    "keepwarm.people.middleware.ErasedPersonMiddleware",
    "keepwarm.accounts.middleware.SignInMiddleware",
    "keepwarm.lib.headers.ContentSecurityPolicyMiddleware",
    # Last, so it sees the authenticated user and the final response.
    "keepwarm.audit.middleware.AuditMiddleware",
]

ROOT_URLCONF = "keepwarm.urls"
WSGI_APPLICATION = "keepwarm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "keepwarm.lib.headers.csp_nonce",
                "keepwarm.accounts.middleware.second_factor_status",
                "keepwarm.agency.branding.brand",
            ],
        },
    }
]


def _check_holidays(country: str, subdivision: str) -> None:
    """Refuse a bank-holiday country or region the `holidays` package does not know."""
    if not country:
        if subdivision:
            raise ImproperlyConfigured(
                "KEEPWARM_HOLIDAYS_SUBDIVISION needs KEEPWARM_HOLIDAYS_COUNTRY"
            )
        return
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ImproperlyConfigured(
            f"KEEPWARM_HOLIDAYS_COUNTRY must be a country code such as GB; got {country!r}"
        )
    if subdivision and subdivision not in supported[country]:
        raise ImproperlyConfigured(
            f"KEEPWARM_HOLIDAYS_SUBDIVISION for {country} must be one of "
            f"{', '.join(supported[country])} or empty; got {subdivision!r}"
        )


def _database(url: str) -> dict[str, Any]:
    try:
        config = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    except ValueError as exc:
        raise ImproperlyConfigured(f"KEEPWARM_DATABASE_URL is not a database URL: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # The connection is kept like PostgreSQL's (60 s, checked before reuse): opening
        # one per request, with its PRAGMAs, cost a signed-in page more than its queries.
        # WAL lets the web and the worker read while one writes; IMMEDIATE takes the
        # write lock at BEGIN so two writers queue instead of failing mid-transaction.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # A page cache of up to 64 MiB (the default is 2 MiB): a consultant's list reads
            # a few thousand people by id, and each miss is a read from the OS.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
            ),
        }
    elif env_bool("KEEPWARM_PGBOUNCER", False):
        # PgBouncer in transaction mode gives each transaction whichever server connection
        # is free, so a cursor kept open between transactions (Django's server-side cursors
        # behind .iterator()) would be lost; Django already turns off prepared statements.
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
    return config


def _default_database_url() -> str:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DATA_DIR / 'keepwarm.sqlite3'}"


# Erasures are also journalled outside the database, so a restore can re-apply them.
KEEPWARM_ERASURE_JOURNAL = env_str("KEEPWARM_ERASURE_JOURNAL", str(DATA_DIR / "erasures.jsonl"))

DATABASES = {"default": _database(env_str("KEEPWARM_DATABASE_URL") or _default_database_url())}
# On PostgreSQL the audit trail's "viewed" and "exported" entries, written on nearly every
# page, commit without waiting for the disk (keepwarm/audit/recording.py); on keeps them as
# durable as changes to data, at ~10 ms a page.
KEEPWARM_DURABLE_READ_LOG = env_bool("KEEPWARM_DURABLE_READ_LOG", False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "today"
LOGOUT_REDIRECT_URL = "login"

# NIST SP 800-63B / NCSC: length over composition, a check against common and breached
# passwords (Django's bundled list of 20,000, drawn from breach corpora), the person's own
# details and this service's name; no character-class rules, no forced rotation.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "keepwarm.accounts.passwords.ContextWordsValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_time_zone("KEEPWARM_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise warns (an error under the test suite) when the folder is missing; `serve`
# fills it with collectstatic, a fresh checkout has it empty.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Uploaded files (staff photos; import files also, keepwarm.imports.uploads) on the data
# folder's disk, or in an S3-compatible bucket when KEEPWARM_S3_BUCKET is set, so app
# machines need not share a folder.
KEEPWARM_S3_BUCKET = env_str("KEEPWARM_S3_BUCKET").strip()
KEEPWARM_S3_ENDPOINT_URL = env_str("KEEPWARM_S3_ENDPOINT_URL").strip()
KEEPWARM_S3_REGION = env_str("KEEPWARM_S3_REGION").strip()
KEEPWARM_S3_ACCESS_KEY_ID = env_str("KEEPWARM_S3_ACCESS_KEY_ID").strip()
KEEPWARM_S3_SECRET_ACCESS_KEY = env_str("KEEPWARM_S3_SECRET_ACCESS_KEY").strip()


def media_storage(
    *, bucket: str, endpoint_url: str, region: str, access_key: str, secret_key: str
) -> dict[str, Any]:
    """STORAGES["default"]: the data folder, or the S3-compatible bucket when one is named."""
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if endpoint_url and not endpoint_url.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            "KEEPWARM_S3_ENDPOINT_URL must be the storage's URL, e.g. "
            f"https://s3.eu-west-2.amazonaws.com; got {endpoint_url!r}"
        )
    if bool(access_key) != bool(secret_key):
        raise ImproperlyConfigured(
            "Set both KEEPWARM_S3_ACCESS_KEY_ID and KEEPWARM_S3_SECRET_ACCESS_KEY, or neither "
            "(then the machine's own credentials are used, e.g. an instance role)"
        )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            # Everything uploaded is personal: no ACL that could make an object public
            # (the bucket's own stays private), and a URL, if one is ever made, is signed
            # and expires in five minutes. Pages serve files through views that check who
            # asks (portal.views_personal.staff_photo), never by the bucket's URL.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
            "location": "media",
        },
    }


STORAGES = {
    "default": media_storage(
        bucket=KEEPWARM_S3_BUCKET,
        endpoint_url=KEEPWARM_S3_ENDPOINT_URL,
        region=KEEPWARM_S3_REGION,
        access_key=KEEPWARM_S3_ACCESS_KEY_ID,
        secret_key=KEEPWARM_S3_SECRET_ACCESS_KEY,
    ),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Email -------------------------------------------------------------------


# Providers' HTTP APIs through django-anymail: scheme -> (backend, setting for the key).
_ESP_BACKENDS = {
    "postmark": ("anymail.backends.postmark.EmailBackend", "POSTMARK_SERVER_TOKEN"),
    "sendgrid": ("anymail.backends.sendgrid.EmailBackend", "SENDGRID_API_KEY"),
    "mailgun": ("anymail.backends.mailgun.EmailBackend", "MAILGUN_API_KEY"),
    "brevo": ("anymail.backends.brevo.EmailBackend", "BREVO_API_KEY"),
}
_MAILGUN_REGIONS = {"us": "https://api.mailgun.net/v3/", "eu": "https://api.eu.mailgun.net/v3/"}
_EMAIL_URL_FORMS = (
    "smtp://user:pass@host:port (or smtps://, smtp+tls://), postmark://SERVER_TOKEN@, "
    "sendgrid://API_KEY@, mailgun://API_KEY@SENDING_DOMAIN or brevo://API_KEY@"
)


def _email_settings(url: str) -> dict[str, Any]:
    """Map KEEPWARM_EMAIL_URL to Django email settings; unset means capture.

    Provider URLs also return an "ANYMAIL" dict, merged into the ANYMAIL setting below.
    The URL carries a secret, so errors name its parts, never the URL.
    """
    if not url:
        return {"EMAIL_BACKEND": "keepwarm.mail.backends.CaptureBackend"}
    parts = urlsplit(url)
    if parts.scheme in ("smtp", "smtps", "smtp+tls") and parts.hostname:
        options = _email_url_options(parts.query, allowed={"timeout"})
        return {
            "EMAIL_BACKEND": "keepwarm.mail.backends.SmtpBackend",
            "EMAIL_HOST": parts.hostname,
            "EMAIL_PORT": parts.port or {"smtps": 465, "smtp+tls": 587}.get(parts.scheme, 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": parts.scheme == "smtps",
            "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
            "EMAIL_TIMEOUT": _email_url_seconds(options.get("timeout", "30")),
        }
    if parts.scheme in _ESP_BACKENDS:
        return _esp_settings(parts.scheme, parts)
    raise ImproperlyConfigured(
        f"KEEPWARM_EMAIL_URL must look like {_EMAIL_URL_FORMS}; got scheme {parts.scheme!r}"
    )


def _esp_settings(esp: str, parts: SplitResult) -> dict[str, Any]:
    backend, key_setting = _ESP_BACKENDS[esp]
    options = _email_url_options(
        parts.query, allowed={"api_url", "timeout", *(("region",) if esp == "mailgun" else ())}
    )
    key = unquote(parts.username or "")
    if not key or parts.password is not None:
        raise ImproperlyConfigured(
            f"KEEPWARM_EMAIL_URL for {esp} puts the API key alone before the @: {esp}://KEY@"
        )
    anymail: dict[str, Any] = {key_setting: key}
    if esp == "mailgun":
        if not parts.hostname:
            raise ImproperlyConfigured(
                "KEEPWARM_EMAIL_URL for mailgun names the sending domain: "
                "mailgun://API_KEY@mg.example.com"
            )
        anymail["MAILGUN_SENDER_DOMAIN"] = parts.hostname
        region = options.get("region", "us")
        if region not in _MAILGUN_REGIONS:
            raise ImproperlyConfigured(
                f"KEEPWARM_EMAIL_URL region must be us or eu; got {region!r}"
            )
        anymail["MAILGUN_API_URL"] = _MAILGUN_REGIONS[region]
    elif parts.hostname:
        raise ImproperlyConfigured(
            f"KEEPWARM_EMAIL_URL for {esp} has nothing after the @ ({esp}://KEY@); "
            "another API address goes in ?api_url="
        )
    if "api_url" in options:
        # Self-hosted or regional endpoints, and the tests' fake provider on loopback.
        api_url = urlsplit(options["api_url"])
        if api_url.scheme not in ("http", "https") or not api_url.hostname:
            raise ImproperlyConfigured("KEEPWARM_EMAIL_URL api_url must be an http(s) URL")
        anymail[f"{esp.upper()}_API_URL"] = options["api_url"]
    if "timeout" in options:
        anymail["REQUESTS_TIMEOUT"] = _email_url_seconds(options["timeout"])
    return {"EMAIL_BACKEND": backend, "ANYMAIL": anymail}


def _email_url_options(query: str, *, allowed: set[str]) -> dict[str, str]:
    options = {name: values[-1] for name, values in parse_qs(query).items()}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ImproperlyConfigured(
            f"KEEPWARM_EMAIL_URL does not know the option(s) {', '.join(unknown)}; "
            f"this kind of URL takes {', '.join(sorted(allowed))}"
        )
    return options


def _email_url_seconds(raw: str) -> int:
    if not raw.isdecimal() or int(raw) < 1:
        raise ImproperlyConfigured(f"KEEPWARM_EMAIL_URL timeout must be whole seconds; got {raw!r}")
    return int(raw)


EMAIL_URL = env_str("KEEPWARM_EMAIL_URL")
_email = _email_settings(EMAIL_URL)
# The provider whose webhooks are mounted at /anymail/<provider>/tracking/; "" for SMTP or
# capture, when every provider's webhook URL answers 404.
_scheme = urlsplit(EMAIL_URL).scheme
KEEPWARM_EMAIL_PROVIDER = _scheme if _scheme in _ESP_BACKENDS else ""
_provider = _email.pop("ANYMAIL", {})  # a provider's key and API address, if any
globals().update(_email)
DEFAULT_FROM_EMAIL = env_str("KEEPWARM_FROM_EMAIL", f"Keepwarm <keepwarm@{_base.hostname}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The agency's postal address: the law wants it in every newsletter's footer.
KEEPWARM_POSTAL_ADDRESS = env_str("KEEPWARM_POSTAL_ADDRESS", "")
# How long data about people with no contact is kept, in years (privacy notices say so).
KEEPWARM_RETENTION_YEARS = env_int("KEEPWARM_RETENTION_YEARS", 2)
if KEEPWARM_RETENTION_YEARS < 1:
    raise ImproperlyConfigured("KEEPWARM_RETENTION_YEARS must be 1 or more")
# The email provider's limit in messages per second; 0 = as fast as the server takes them.
KEEPWARM_EMAIL_RATE = env_int("KEEPWARM_EMAIL_RATE", 0)
if KEEPWARM_EMAIL_RATE < 0:
    raise ImproperlyConfigured("KEEPWARM_EMAIL_RATE must be 0 (no limit) or more")
# Soft bounces in a row (no delivery between) after which an address is suppressed.
KEEPWARM_SOFT_BOUNCE_LIMIT = env_int("KEEPWARM_SOFT_BOUNCE_LIMIT", 3)
if KEEPWARM_SOFT_BOUNCE_LIMIT < 1:
    raise ImproperlyConfigured("KEEPWARM_SOFT_BOUNCE_LIMIT must be 1 or more")
# Provider webhooks (bounces, complaints) at /anymail/<provider>/tracking/ use HTTP basic
# auth "user:password". Unset, a random secret nobody knows makes them refuse everything:
# an unsigned webhook could suppress anyone.
ANYMAIL = {
    **_provider,
    "WEBHOOK_SECRET": env_str("KEEPWARM_ANYMAIL_WEBHOOK_SECRET")
    or f"unset:{secrets.token_urlsafe(24)}",
}
if KEEPWARM_EMAIL_PROVIDER == "mailgun":
    # Mailgun also signs each webhook, with a key of its own; anymail would otherwise check
    # against the API key. Unset, a random one refuses them all.
    ANYMAIL["MAILGUN_WEBHOOK_SIGNING_KEY"] = (
        env_str("KEEPWARM_MAILGUN_WEBHOOK_SIGNING_KEY") or f"unset:{secrets.token_urlsafe(24)}"
    )

# Webhooks may be sent to this machine (127.0.0.1, ::1, localhost): for local tools and
# tests only. Private, link-local and cloud metadata addresses are refused regardless.
KEEPWARM_WEBHOOKS_ALLOW_LOOPBACK = env_bool("KEEPWARM_WEBHOOKS_ALLOW_LOOPBACK", False)

# --- Aftercare defaults ------------------------------------------------------------

# Local hour at which emails due on a day are released, in the agency's time zone.
KEEPWARM_SEND_HOUR = env_int("KEEPWARM_SEND_HOUR", 9)
# Bank holidays that are not working days: a country code of the `holidays` package (GB,
# IE, US …; empty for none) and optionally its subdivision (ENG, SCT, WLS, NIR for GB).
KEEPWARM_HOLIDAYS_COUNTRY = env_str("KEEPWARM_HOLIDAYS_COUNTRY", "GB").upper()
KEEPWARM_HOLIDAYS_SUBDIVISION = env_str("KEEPWARM_HOLIDAYS_SUBDIVISION", "ENG").upper()
_check_holidays(KEEPWARM_HOLIDAYS_COUNTRY, KEEPWARM_HOLIDAYS_SUBDIVISION)
# Days the agency has to find a free replacement when a replacement guarantee fails.
KEEPWARM_REPLACEMENT_DAYS = env_int("KEEPWARM_REPLACEMENT_DAYS", 90)
if KEEPWARM_REPLACEMENT_DAYS < 1:
    raise ImproperlyConfigured("KEEPWARM_REPLACEMENT_DAYS must be 1 or more")
# Days since last contact that turn a person amber, then red, on Today.
KEEPWARM_AMBER_DAYS = env_int("KEEPWARM_AMBER_DAYS", 14)
KEEPWARM_RED_DAYS = env_int("KEEPWARM_RED_DAYS", 30)
# Days a questionnaire link works, and days without an answer before one reminder.
KEEPWARM_INVITATION_DAYS = env_int("KEEPWARM_INVITATION_DAYS", 30)
KEEPWARM_REMINDER_DAYS = env_int("KEEPWARM_REMINDER_DAYS", 5)
if not 0 < KEEPWARM_REMINDER_DAYS < KEEPWARM_INVITATION_DAYS:
    raise ImproperlyConfigured(
        "KEEPWARM_REMINDER_DAYS must be above 0 and below KEEPWARM_INVITATION_DAYS"
    )
if not 0 <= KEEPWARM_SEND_HOUR <= 23:
    raise ImproperlyConfigured("KEEPWARM_SEND_HOUR must be an hour from 0 to 23")
if not 0 < KEEPWARM_AMBER_DAYS < KEEPWARM_RED_DAYS:
    raise ImproperlyConfigured("KEEPWARM_AMBER_DAYS must be above 0 and below KEEPWARM_RED_DAYS")
# Retries booked for a planned call nobody answered (voicemail, no answer), each on the next
# working day; the try after the last retry leaves it missed.
KEEPWARM_CALL_RETRIES = env_int("KEEPWARM_CALL_RETRIES", 3)
if not 0 <= KEEPWARM_CALL_RETRIES <= 10:
    raise ImproperlyConfigured("KEEPWARM_CALL_RETRIES must be from 0 to 10")
# Hours an alert may stay open past its due time before it goes to the managers; a manager
# can change it on the Alerts page (this is the default until they do).
KEEPWARM_ALERT_ESCALATE_HOURS = env_int("KEEPWARM_ALERT_ESCALATE_HOURS", 24)
if not 1 <= KEEPWARM_ALERT_ESCALATE_HOURS <= 24 * 30:
    raise ImproperlyConfigured("KEEPWARM_ALERT_ESCALATE_HOURS must be from 1 to 720")

# --- Personal pages for outsiders (keepwarm.portal) --------------------------------

# Minutes a sign-in link asked for on the public page works; days the "your page" link
# in a check-in or questionnaire email works. Both open the page once.
KEEPWARM_PORTAL_LINK_MINUTES = env_int("KEEPWARM_PORTAL_LINK_MINUTES", 15)
KEEPWARM_PORTAL_EMAIL_LINK_DAYS = env_int("KEEPWARM_PORTAL_EMAIL_LINK_DAYS", 30)
# Hours a signed-in personal page stays open before the person asks for a new link.
KEEPWARM_PORTAL_SESSION_HOURS = env_int("KEEPWARM_PORTAL_SESSION_HOURS", 12)
if (
    min(
        KEEPWARM_PORTAL_LINK_MINUTES, KEEPWARM_PORTAL_EMAIL_LINK_DAYS, KEEPWARM_PORTAL_SESSION_HOURS
    )
    < 1
):
    raise ImproperlyConfigured(
        "KEEPWARM_PORTAL_LINK_MINUTES, KEEPWARM_PORTAL_EMAIL_LINK_DAYS and "
        "KEEPWARM_PORTAL_SESSION_HOURS must be 1 or more"
    )
# Uploaded staff photos; served through a view (whitenoise serves static files only).
MEDIA_ROOT = DATA_DIR / "media"
# The largest file an import takes (web page and API), in megabytes.
KEEPWARM_UPLOAD_MAX_MB = env_int("KEEPWARM_UPLOAD_MAX_MB", 20)
if KEEPWARM_UPLOAD_MAX_MB < 1:
    raise ImproperlyConfigured("KEEPWARM_UPLOAD_MAX_MB must be 1 or more")
# Months in post at which someone is likely to think about a move (readiness to move).
try:
    KEEPWARM_READINESS_ANNIVERSARY_MONTHS = sorted(
        {int(m) for m in env_str("KEEPWARM_READINESS_ANNIVERSARY_MONTHS", "12,18,24").split(",")}
    )
except ValueError:
    raise ImproperlyConfigured(
        "KEEPWARM_READINESS_ANNIVERSARY_MONTHS must be whole months separated by commas, "
        "e.g. 12,18,24"
    ) from None
if not KEEPWARM_READINESS_ANNIVERSARY_MONTHS or min(KEEPWARM_READINESS_ANNIVERSARY_MONTHS) < 1:
    raise ImproperlyConfigured("KEEPWARM_READINESS_ANNIVERSARY_MONTHS must be 1 month or more")
# A placed person is off-limits (never offered as ready to move, never matched to
# vacancies) through their guarantee and at least this many months in post; 0 = the
# guarantee alone. Poaching one's own placement costs the fee and the client.
KEEPWARM_OFF_LIMITS_MONTHS = env_int("KEEPWARM_OFF_LIMITS_MONTHS", 3)
if KEEPWARM_OFF_LIMITS_MONTHS < 0:
    raise ImproperlyConfigured("KEEPWARM_OFF_LIMITS_MONTHS must be 0 or more")

# --- Security ----------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Staff sign in with a password and a TOTP second factor; off only for the local demo
# (a banner says so on every page) and the test suite. `check --deploy` warns when off.
KEEPWARM_REQUIRE_SECOND_FACTOR = env_bool("KEEPWARM_REQUIRE_SECOND_FACTOR", True)
# Failed sign-ins (password or second factor) within the window that pause sign-in for
# one username, and for one client address, until the window has passed.
KEEPWARM_LOCKOUT_ACCOUNT_FAILURES = env_int("KEEPWARM_LOCKOUT_ACCOUNT_FAILURES", 5)
KEEPWARM_LOCKOUT_ADDRESS_FAILURES = env_int("KEEPWARM_LOCKOUT_ADDRESS_FAILURES", 20)
KEEPWARM_LOCKOUT_MINUTES = env_int("KEEPWARM_LOCKOUT_MINUTES", 15)
# How many reverse proxies in front of Keepwarm append to X-Forwarded-For; 0 = none,
# the client address is the connection's (REMOTE_ADDR).
KEEPWARM_PROXY_COUNT = env_int("KEEPWARM_PROXY_COUNT", 0)
# NIST SP 800-63B-4 at AAL2: sign in again after an hour idle, and after a working day.
KEEPWARM_SESSION_IDLE_MINUTES = env_int("KEEPWARM_SESSION_IDLE_MINUTES", 60)
KEEPWARM_SESSION_MAX_HOURS = env_int("KEEPWARM_SESSION_MAX_HOURS", 12)
for _name in (
    "KEEPWARM_LOCKOUT_ACCOUNT_FAILURES",
    "KEEPWARM_LOCKOUT_ADDRESS_FAILURES",
    "KEEPWARM_LOCKOUT_MINUTES",
    "KEEPWARM_SESSION_IDLE_MINUTES",
    "KEEPWARM_SESSION_MAX_HOURS",
):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more")
if KEEPWARM_PROXY_COUNT < 0:
    raise ImproperlyConfigured("KEEPWARM_PROXY_COUNT must be 0 or more")
SESSION_COOKIE_AGE = KEEPWARM_SESSION_MAX_HOURS * 3600
if SECURE:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # A monitor on the same machine asks over plain http, past the proxy.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Operations --------------------------------------------------------------------

# Errors and the worker's failing steps go to stderr, as plain lines or one JSON object each.
KEEPWARM_LOG_FORMAT = env_str("KEEPWARM_LOG_FORMAT", "plain").strip().lower()
if KEEPWARM_LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(
        f"KEEPWARM_LOG_FORMAT must be plain or json; got {KEEPWARM_LOG_FORMAT!r}"
    )
LOGGING = logging_config(KEEPWARM_LOG_FORMAT)
# /healthz answers 503 when no worker has finished a tick for this many seconds.
KEEPWARM_HEALTH_MAX_TICK_AGE = env_int("KEEPWARM_HEALTH_MAX_TICK_AGE", 300)
if KEEPWARM_HEALTH_MAX_TICK_AGE < 30:
    raise ImproperlyConfigured(
        "KEEPWARM_HEALTH_MAX_TICK_AGE must be 30 seconds or more (the worker ticks every 30)"
    )

# --- Signing in the agency's way: single sign-on, password reset, the admin --------
# (keepwarm/accounts/sso.py, keepwarm/mail/services/password_reset.py, keepwarm/ops/admin.py)


def _sso_issuer(name: str, issuer: str) -> str:
    """An OpenID Connect issuer URL: https, or http on this machine (tests, a local IdP)."""
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.hostname:
        return issuer.rstrip("/")
    if parts.scheme == "http" and parts.hostname and is_loopback_host(parts.hostname):
        return issuer.rstrip("/")
    raise ImproperlyConfigured(f"{name} must be an https:// issuer URL; got {issuer!r}")


def _sso_provider(
    slug: str, prefix: str, client: tuple[str, str], *, name: str, issuer: str, **extra: Any
) -> list[dict[str, Any]]:
    """The provider under `prefix` if its client id is set (`client`: the values of
    <prefix>_CLIENT_ID and _CLIENT_SECRET, each read by name so the README's settings
    table can be checked against them); a client id without its secret stops start-up."""
    client_id, secret = (value.strip() for value in client)
    if not client_id:
        return []
    if not secret:
        raise ImproperlyConfigured(f"{prefix}_CLIENT_ID is set; set {prefix}_CLIENT_SECRET too")
    return [
        {
            "slug": slug,
            "name": name,
            "issuer": issuer,
            "client_id": client_id,
            "client_secret": secret,
            **extra,
        }
    ]


def _sso_providers() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    tenant = env_str("KEEPWARM_SSO_MICROSOFT_TENANT").strip()
    # One directory, the agency's: "common" or "organizations" would let any
    # organisation's accounts through, and their issuers cannot be checked.
    if env_str("KEEPWARM_SSO_MICROSOFT_CLIENT_ID").strip() and (
        not tenant or tenant.lower() in ("common", "organizations", "consumers")
    ):
        raise ImproperlyConfigured(
            "KEEPWARM_SSO_MICROSOFT_TENANT must be your directory (tenant) ID or domain, "
            f"not {tenant or 'empty'!r}"
        )
    found += _sso_provider(
        "microsoft",
        "KEEPWARM_SSO_MICROSOFT",
        (
            env_str("KEEPWARM_SSO_MICROSOFT_CLIENT_ID"),
            env_str("KEEPWARM_SSO_MICROSOFT_CLIENT_SECRET"),
        ),
        name="Microsoft",
        issuer=f"https://login.microsoftonline.com/{tenant}/v2.0",
        # Entra ID says an address is its domain owner's with the optional claim xms_edov.
        verified_claims=["email_verified", "xms_edov"],
    )
    found += _sso_provider(
        "google",
        "KEEPWARM_SSO_GOOGLE",
        (env_str("KEEPWARM_SSO_GOOGLE_CLIENT_ID"), env_str("KEEPWARM_SSO_GOOGLE_CLIENT_SECRET")),
        name="Google",
        issuer="https://accounts.google.com",
        verified_claims=["email_verified"],
    )
    issuer = env_str("KEEPWARM_SSO_OIDC_ISSUER").strip()
    if env_str("KEEPWARM_SSO_OIDC_CLIENT_ID").strip() and not issuer:
        raise ImproperlyConfigured(
            "KEEPWARM_SSO_OIDC_CLIENT_ID is set; set KEEPWARM_SSO_OIDC_ISSUER to the "
            "provider's issuer URL too"
        )
    if issuer:
        issuer = _sso_issuer("KEEPWARM_SSO_OIDC_ISSUER", issuer)
        found += _sso_provider(
            "oidc",
            "KEEPWARM_SSO_OIDC",
            (env_str("KEEPWARM_SSO_OIDC_CLIENT_ID"), env_str("KEEPWARM_SSO_OIDC_CLIENT_SECRET")),
            name=env_str("KEEPWARM_SSO_OIDC_NAME").strip() or urlsplit(issuer).hostname or "",
            issuer=issuer,
            verified_claims=["email_verified"],
        )
    return found


# Each configured provider gets a "Sign in with <name>" button on the sign-in page.
KEEPWARM_SSO_PROVIDERS = _sso_providers()
# Who asks for the second factor after single sign-on: "keepwarm" (the default) asks for
# the authenticator code exactly as after a password; "provider-mfa" skips it when the ID
# token says the provider used several factors (amr "mfa", RFC 8176); "provider" always
# trusts the provider, for an agency that enforces MFA there.
KEEPWARM_SSO_SECOND_FACTOR = env_str("KEEPWARM_SSO_SECOND_FACTOR", "keepwarm").strip().lower()
if KEEPWARM_SSO_SECOND_FACTOR not in ("keepwarm", "provider-mfa", "provider"):
    raise ImproperlyConfigured(
        "KEEPWARM_SSO_SECOND_FACTOR must be keepwarm, provider-mfa or provider; "
        f"got {KEEPWARM_SSO_SECOND_FACTOR!r}"
    )
# Minutes an emailed password-reset link works (once).
KEEPWARM_PASSWORD_RESET_MINUTES = env_int("KEEPWARM_PASSWORD_RESET_MINUTES", 60)
if KEEPWARM_PASSWORD_RESET_MINUTES < 1:
    raise ImproperlyConfigured("KEEPWARM_PASSWORD_RESET_MINUTES must be 1 or more")
PASSWORD_RESET_TIMEOUT = KEEPWARM_PASSWORD_RESET_MINUTES * 60
# The Django admin at /admin/ for operators: admins with the second factor only, and
# read-only unless this is on.
KEEPWARM_ADMIN_EDITS = env_bool("KEEPWARM_ADMIN_EDITS", False)
# Kept in this block with the rest of the admin's settings. The simple config: no
# autodiscovery, keepwarm/ops/admin.py registers every table on its own site.
INSTALLED_APPS.append("django.contrib.admin.apps.SimpleAdminConfig")

# --- Observability: Sentry and Prometheus (keepwarm/lib/sentry.py, keepwarm/ops/metrics.py)

# Errors (pages' and the worker's) go to Sentry or a compatible service when set; the
# environment name it files them under defaults to the base URL's host.
KEEPWARM_SENTRY_DSN = env_str("KEEPWARM_SENTRY_DSN").strip()
KEEPWARM_SENTRY_ENVIRONMENT = env_str("KEEPWARM_SENTRY_ENVIRONMENT", _base.hostname or "").strip()
if KEEPWARM_SENTRY_DSN:
    from keepwarm.lib.sentry import start as _start_sentry

    _start_sentry(KEEPWARM_SENTRY_DSN, environment=KEEPWARM_SENTRY_ENVIRONMENT)
# /metrics answers a scraper sending this as a bearer token; unset, only one on this
# machine talking to Keepwarm directly (no X-Forwarded-For).
KEEPWARM_METRICS_TOKEN = env_str("KEEPWARM_METRICS_TOKEN").strip()
if SECURE:
    # Prometheus on the same machine scrapes over plain http, past the proxy.
    SECURE_REDIRECT_EXEMPT.append(r"^metrics$")
