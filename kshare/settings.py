"""kshare settings: every value comes from an environment variable with a safe default.

See docs/configuration.md for the list. ``KSHARE_HOME`` decides where ``var/`` lives (the SQLite
database, the generated secret key, uploaded media and mail written to files).
"""

from __future__ import annotations

import os
import sys
import tempfile
from email.utils import formataddr, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from django.utils.csp import CSP

from kshare import config
from kshare.webhooks.addresses import AllowList  # no Django inside: safe to import here

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
HOME_DIR = Path(os.environ.get("KSHARE_HOME", PROJECT_DIR)).expanduser().resolve()
VAR_DIR = HOME_DIR / "var"
TESTING = "pytest" in sys.modules or os.environ.get("KSHARE_TESTING") == "1"

DEBUG = config.env_bool("DEBUG", default=False)
SECRET_KEY = config.secret_key(VAR_DIR)
# Generated into var/secret_key (no SECRET_KEY or SECRET_KEY_FILE): `kshare check --deploy` warns.
KSHARE_SECRET_KEY_GENERATED = not config.env_str("SECRET_KEY")
ALLOWED_HOSTS = config.env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = config.env_list("CSRF_TRUSTED_ORIGINS", [])
# Where links in mail, calendar feeds, QR codes and webhooks point. When it is unset, `kshare up`
# and `kshare serve` put the address they listen on in KSHARE_DEFAULT_SITE_URL before the
# settings load (the worker `up` starts inherits it); production (`kshare serve`, `kshare
# worker`) refuses to start without SITE_URL.
SITE_URL = (
    os.environ.get("SITE_URL", "").strip()
    or os.environ.get("KSHARE_DEFAULT_SITE_URL", "").strip()
    or "http://127.0.0.1:8000"
).rstrip("/")
KSHARE_SITE_URL_SET = bool(os.environ.get("SITE_URL", "").strip())

INSTALLED_APPS = [
    "kshare.core",
    "kshare.web",
    "kshare.people",
    "kshare.tags",
    "kshare.programmes",
    "kshare.sessions",
    "kshare.ideas",
    "kshare.topics",
    "kshare.feedback",
    "kshare.outbox",
    "kshare.rhythm",
    "kshare.reminders",
    "kshare.calendars",
    "kshare.scheduling",
    "kshare.library",
    "kshare.search",
    "kshare.recommend",
    "kshare.demo",
    "kshare.api",
    "kshare.dashboard",
    "kshare.webhooks",
    "kshare.chat",
    "kshare.attendance",
    "kshare.questions",
    "kshare.audit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks_db",
    # django-ninja: its bundled Swagger UI static files for /api/v1/docs (no CDN).
    "ninja",
]

MIDDLEWARE = [
    # First: the client's real address and scheme, from trusted proxies only (kshare/web/proxy.py).
    "kshare.web.proxy.ProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The reader's language: the language cookie, else Accept-Language (a signed-in person's
    # own choice on the profile wins, in PersonLanguageMiddleware below).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Single sign-on: asks the provider again, silently, whether an SSO session may go on.
    "kshare.people.middleware.SsoRecheckMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "kshare.audit.context.AuditMiddleware",
    "kshare.people.middleware.PersonTimezoneMiddleware",
    "kshare.people.middleware.PersonLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, so it is the first to see a view's exception: a busy database is a 503.
    "kshare.web.busy.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "kshare.urls"
WSGI_APPLICATION = "kshare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "kshare.web.context_processors.site",
            ],
        },
    },
]

DATABASES = {"default": config.database(os.environ.get("DATABASE_URL", ""), var_dir=VAR_DIR)}

# "default" (the API's rate limit, anything else that caches): shared by every process on every
# machine — Redis when CACHE_URL (or REDIS_URL) names one, else a database table.
# "dashboard": the dashboard's figures, in a database table (created by the dashboard's migration)
# so that every web process and the task worker that recomputes them share one cache.
_CACHE_VARIABLE = "CACHE_URL" if config.env_str("CACHE_URL") else "REDIS_URL"
CACHES = {
    "default": config.cache(config.env_str(_CACHE_VARIABLE).strip(), variable=_CACHE_VARIABLE),
    "dashboard": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "dashboard_figure_cache",
        "TIMEOUT": 15 * 60,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.Person"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
# Single sign-on with the company's OpenID Connect provider (kshare/people/sso.py, through
# mozilla-django-oidc): None without KSHARE_OIDC_DISCOVERY_URL. docs/configuration.md.
KSHARE_OIDC = config.oidc()
# Password sign-in off for everyone but the break-glass admins (e-mail addresses) listed.
KSHARE_SSO_REQUIRED = config.env_bool("KSHARE_SSO_REQUIRED", default=False)
KSHARE_SSO_BREAK_GLASS = [e.lower() for e in config.env_list("KSHARE_SSO_BREAK_GLASS", [])]
if KSHARE_SSO_REQUIRED and KSHARE_OIDC is None:
    raise config.ConfigError(
        "KSHARE_SSO_REQUIRED is on, but no provider is configured: set KSHARE_OIDC_DISCOVERY_URL."
    )
# E-mail domains that may sign in, with a password or through the provider; empty: any.
KSHARE_SIGNIN_DOMAINS = config.signin_domains()
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # Answers only the provider's callback (a code and a state); a no-op without KSHARE_OIDC.
    "kshare.people.sso.SsoBackend",
]
# mozilla-django-oidc: the flow's fixed choices. Endpoints, client and keys come from the
# discovery document (kshare/people/sso.py), not from these settings.
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "sso_callback"
# Seconds after which a page load asks the provider again (prompt=none) whether a person signed
# in through it may stay signed in; someone disabled there is signed out of kshare.
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = config.env_int("KSHARE_SSO_RECHECK_SECONDS", 900, minimum=60)

# The interface languages. Each app keeps its catalogues in its own locale/ folder
# (kshare/<app>/locale/<language>/LC_MESSAGES/django.po, compiled .mo committed beside it);
# project-wide strings (shared templates) live in kshare/web/locale. docs/translations.md.
LANGUAGES = [
    ("en-gb", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
]
# The installation's language: pages for browsers that ask for none of LANGUAGES, and mail to
# people who chose no language on their profile (KSHARE_LANGUAGE=de for a German company).
LANGUAGE_CODE = config.env_choice(
    "KSHARE_LANGUAGE", "en-gb", choices=[c for c, _n in LANGUAGES], normalise=str.lower
)
LANGUAGE_COOKIE_NAME = "kshare_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = config.env_timezone("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise warns about a missing STATIC_ROOT before the first collectstatic.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or VAR_DIR / "media").expanduser().resolve()
# Uploaded materials: the disk at MEDIA_ROOT, or an S3-compatible bucket (KSHARE_MEDIA_S3_*).
STORAGES = {
    "default": config.media_storage(),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Without collectstatic (make run, tests) WhiteNoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MAILERS = config.mailers(os.environ.get("EMAIL_URL", ""), var_dir=VAR_DIR)
# Who mail is from ("Name <address>") and where answers go (comma-separated; empty: to From).
# Unset, mail is from kshare@ SITE_URL's host when SITE_URL is set (so never from localhost in
# production, which requires SITE_URL), else from kshare@localhost.
_SITE_HOST = urlsplit(SITE_URL).hostname if KSHARE_SITE_URL_SET else None
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or (
    formataddr((os.environ.get("KSHARE_ORGANISATION_NAME", "kshare"), f"kshare@{_SITE_HOST}"))
    if _SITE_HOST and "." in _SITE_HOST
    else "kshare <kshare@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
KSHARE_MAIL_REPLY_TO = config.env_addresses("KSHARE_MAIL_REPLY_TO")
# The ORGANIZER of calendar invitations: where Outlook, Google and Apple Calendar send the answer
# when someone presses Accept or Decline (an iMIP REPLY). `kshare mail-in` reads that mailbox
# (KSHARE_IMAP_URL) and saves each answer as the RSVP. Default: the address of DEFAULT_FROM_EMAIL.
KSHARE_CALENDAR_REPLY_ADDRESS = (
    config.env_str("KSHARE_CALENDAR_REPLY_ADDRESS", "").strip()
    or parseaddr(DEFAULT_FROM_EMAIL)[1]
    or "kshare@localhost"
)
if "@" not in KSHARE_CALENDAR_REPLY_ADDRESS or any(
    c.isspace() or c in '<>,;:"' for c in KSHARE_CALENDAR_REPLY_ADDRESS
):
    raise config.ConfigError(
        "KSHARE_CALENDAR_REPLY_ADDRESS must be one plain e-mail address such as "
        f"calendar@example.com; got {KSHARE_CALENDAR_REPLY_ADDRESS!r}."
    )
# The mailbox those replies arrive in (imaps://user:password@host/INBOX); None: not read.
KSHARE_IMAP = config.imap(config.env_str("KSHARE_IMAP_URL", ""))
# Where read mail is moved so that it is never read twice.
KSHARE_IMAP_DONE_FOLDER = config.env_str("KSHARE_IMAP_DONE_FOLDER", "kshare-done").strip()
if not KSHARE_IMAP_DONE_FOLDER:
    raise config.ConfigError(
        "KSHARE_IMAP_DONE_FOLDER must name a folder, e.g. kshare-done; it is empty."
    )

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# Security: strict CSP (no inline script or style anywhere), secure cookies in production.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "media-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
# How /library/media/<id>/ delivers a file after its permission check (kshare.library.delivery).
KSHARE_MEDIA_DELIVERY = config.media_delivery(STORAGES["default"])
# The player and the slides frame follow a redirect to the bucket's signed URL.
SECURE_CSP = config.csp_with_media(
    SECURE_CSP, storage=STORAGES["default"], delivery=KSHARE_MEDIA_DELIVERY
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HTTPS is the default outside DEBUG; a deployment without TLS (e.g. `kshare up` on a laptop)
# sets KSHARE_INSECURE_HTTP=1 — `make run` does that for you.
_HTTPS = not (DEBUG or TESTING) and not config.env_bool("KSHARE_INSECURE_HTTP", default=False)
KSHARE_HTTPS = _HTTPS  # production: see kshare/web/production.py
SESSION_COOKIE_SECURE = _HTTPS
LANGUAGE_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_SSL_REDIRECT = _HTTPS and config.env_bool("SECURE_SSL_REDIRECT", default=True)
# Load balancers probe /healthz over plain http inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = config.env_int("SECURE_HSTS_SECONDS", 31536000 if _HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = False
# The reverse proxies in front of kshare, as addresses or networks: only requests from them may
# name the client's address (X-Forwarded-For) and scheme (X-Forwarded-Proto). `kshare serve`
# passes the same list to gunicorn (forwarded_allow_ips); kshare.web.proxy drops the headers of
# everyone else, so USE_X_FORWARDED_PROTO cannot be faked by a client talking to kshare directly.
KSHARE_PROXY_NETWORKS = config.env_networks("KSHARE_PROXY_ADDRESSES", "127.0.0.1,::1")
if config.env_bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Request bodies: 2.5 MB of form data is plenty for text (file uploads are streamed separately).
# Larger bodies are refused before they are read (kshare/web/bodylimit.py), except by the upload
# views, which allow their own limits.
REQUEST_BODY_MAX = 3 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

KSHARE_DATA_DIR = Path(os.environ.get("KSHARE_DATA_DIR") or PROJECT_DIR.parent / "shared" / "data")
KSHARE_ORGANISATION_NAME = os.environ.get("KSHARE_ORGANISATION_NAME", "kshare")
KSHARE_ACCOUNT_INVITE_DAYS = config.env_int("KSHARE_ACCOUNT_INVITE_DAYS", 14, minimum=1)
# Seconds between the worker clock's periodic tasks (feedback dispatch, reminders); 0 = off.
KSHARE_TICK_SECONDS = config.env_int("KSHARE_TICK_SECONDS", 60, minimum=0)
# A worker that has not renewed its lease for this long is taken for dead: the tasks it left
# running are queued again (kshare/core/leases.py). Renewed every quarter of it.
KSHARE_WORKER_LEASE_SECONDS = config.env_int("KSHARE_WORKER_LEASE_SECONDS", 60, minimum=1)
# Working hours the slot finder proposes times in, Monday to Friday in each person's timezone.
KSHARE_WORKING_HOURS = config.env_str("KSHARE_WORKING_HOURS", "09:00-17:30")
# Attempts to send one mail before the outbox marks it failed (kept, retried by hand).
KSHARE_MAIL_MAX_ATTEMPTS = config.env_int("KSHARE_MAIL_MAX_ATTEMPTS", 10, minimum=1)
# Largest material uploads in bytes: recordings (video/audio) and everything else (slides).
KSHARE_UPLOAD_MAX_VIDEO = config.env_int("KSHARE_UPLOAD_MAX_VIDEO", 4 * 1024**3, minimum=1)
KSHARE_UPLOAD_MAX_OTHER = config.env_int("KSHARE_UPLOAD_MAX_OTHER", 100 * 1024**2, minimum=1)
# Automatic transcripts of uploaded recordings (library/transcription.py; docs/transcripts.md):
# the recogniser (pocketsphinx works out of the box; whisper needs KSHARE_TRANSCRIBE_MODEL_DIR;
# off: none), the longest recording transcribed, the audio per chunk (a killed worker resumes at
# the last stored chunk) and the work one task does before it queues its continuation (so mail
# and other tasks never wait behind a two-hour recording).
KSHARE_TRANSCRIBE = config.env_choice(
    "KSHARE_TRANSCRIBE",
    "pocketsphinx",
    choices=["pocketsphinx", "whisper", "off"],
    normalise=str.lower,
)
KSHARE_TRANSCRIBE_MODEL_DIR = config.env_str("KSHARE_TRANSCRIBE_MODEL_DIR", "").strip()
KSHARE_TRANSCRIBE_MAX_MINUTES = config.env_int("KSHARE_TRANSCRIBE_MAX_MINUTES", 240, minimum=1)
KSHARE_TRANSCRIBE_CHUNK_SECONDS = config.env_int("KSHARE_TRANSCRIBE_CHUNK_SECONDS", 30, minimum=5)
KSHARE_TRANSCRIBE_STEP_SECONDS = config.env_int("KSHARE_TRANSCRIBE_STEP_SECONDS", 60, minimum=1)
# Behind nginx: recordings and slides are sent by nginx from this internal location (the view
# checks the permission and answers with X-Accel-Redirect), e.g. /_protected_media/; empty: kshare
# streams them itself. See docs/deploy.md.
KSHARE_MEDIA_ACCEL_REDIRECT = config.env_str("KSHARE_MEDIA_ACCEL_REDIRECT", "")
if KSHARE_MEDIA_ACCEL_REDIRECT and not (
    KSHARE_MEDIA_ACCEL_REDIRECT.startswith("/") and KSHARE_MEDIA_ACCEL_REDIRECT.endswith("/")
):
    raise config.ConfigError(
        "KSHARE_MEDIA_ACCEL_REDIRECT must be a path that starts and ends with /, such as "
        f"/_protected_media/; got {KSHARE_MEDIA_ACCEL_REDIRECT!r}."
    )
# REST API requests per token (<count>/<second|minute|hour|day>); empty = unlimited.
KSHARE_API_RATE = config.env_rate("KSHARE_API_RATE", "600/minute")
KSHARE_WEBHOOK_MAX_ATTEMPTS = config.env_int("KSHARE_WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)
KSHARE_WEBHOOK_TIMEOUT = config.env_int("KSHARE_WEBHOOK_TIMEOUT", 10, minimum=1)
# Internal hosts, addresses and networks (each optionally :port) webhooks may be sent to; by
# default only public addresses are called (docs/security.md).
KSHARE_WEBHOOK_ALLOW_HOSTS = config.env_list("KSHARE_WEBHOOK_ALLOW_HOSTS", [])
try:
    AllowList.parse(KSHARE_WEBHOOK_ALLOW_HOSTS)
except ValueError as _exc:
    raise config.ConfigError(f"KSHARE_WEBHOOK_ALLOW_HOSTS: {_exc}.") from None
# Internal hosts, addresses and networks (each optionally :port) chat channels may post to, also
# over http; by default only the platforms' own https hosts and public Mattermost servers.
KSHARE_CHAT_ALLOW_HOSTS = config.env_list("KSHARE_CHAT_ALLOW_HOSTS", [])
try:
    AllowList.parse(KSHARE_CHAT_ALLOW_HOSTS)
except ValueError as _exc:
    raise config.ConfigError(f"KSHARE_CHAT_ALLOW_HOSTS: {_exc}.") from None
KSHARE_CHAT_MAX_ATTEMPTS = config.env_int("KSHARE_CHAT_MAX_ATTEMPTS", 8, minimum=1)
# Anonymous feedback is shown in batches of at least this many responses (feedback/release.py).
KSHARE_FEEDBACK_RELEASE_BATCH = config.env_int("KSHARE_FEEDBACK_RELEASE_BATCH", 3, minimum=2)
# "Your data" archives one person may download an hour (people/data_export.py).
KSHARE_EXPORT_PER_HOUR = config.env_int("KSHARE_EXPORT_PER_HOUR", 5, minimum=1)
# Days sent and failed outbox mails are kept, and webhook deliveries and finished task results
# (web/retention.py); 0 keeps them for ever.
KSHARE_RETENTION_OUTBOX_DAYS = config.env_int("KSHARE_RETENTION_OUTBOX_DAYS", 90, minimum=0)
KSHARE_RETENTION_LOG_DAYS = config.env_int("KSHARE_RETENTION_LOG_DAYS", 30, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": config.env_choice(
            "LOG_LEVEL", "INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
        ),
    },
    "loggers": {"waitress.queue": {"level": "ERROR"}},
}

if TESTING:
    # Only the slow parts are swapped: hashing, and the worker where a test is not about it.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and not os.environ.get(
        "KSHARE_TEST_SQLITE_MEMORY"
    ):
        # A file, as in production: concurrent connections then wait for the busy timeout
        # (WAL, BEGIN IMMEDIATE) instead of failing at once as an in-memory shared cache does.
        # One file per process (pytest-xdist workers are processes); Django deletes it after.
        DATABASES["default"]["TEST"] = {
            "NAME": str(Path(tempfile.gettempdir()) / f"kshare-test-{os.getpid()}.sqlite3")
        }
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    # One process: a per-process cache keeps the query counts of the pages about the pages.
    # The shared caches (database, Redis) have their own tests (kshare/web/tests/test_cache.py).
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
