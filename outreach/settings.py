"""Outreach settings: one module, configured from the environment only.

Defaults suit a developer's machine (SQLite, tasks run eagerly); production
sets DEBUG=0, SECRET_KEY, DATABASE_URL, CELERY_BROKER_URL and ALLOWED_HOSTS.
"""

import ipaddress
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

# A known key for development and tests; `check --deploy` refuses it
# (outreach.checks), so production must set SECRET_KEY.
DEVELOPMENT_SECRET_KEY = "django-insecure-outreach-development-only"
SECRET_KEY = env("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_celery_beat",
    "import_export",
    "simple_history",
    "axes",
    "django_htmx",
    "outreach",
    "households",
    "collectors",
    "reminders",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # HTML and JSON go to the phone gzip-compressed (static files: WhiteNoise's own,
    # precompressed). Against BREACH, Django's GZipMiddleware (4.2+; here 5.2)
    # pads each response with a random-length gzip filename field ("Heal the
    # Breach", max_random_bytes=100), and CSRF tokens are masked per response.
    "django.middleware.gzip.GZipMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "outreach.middleware.RefuseNulCharacters",  # after the locale, so the refusal is in Vietnamese
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "outreach.middleware.BoundSearchTerms",  # after the messages: it leaves one on the page
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: it answers a locked-out login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "outreach.urls"
WSGI_APPLICATION = "outreach.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Vietnamese first, English second.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
# DD/MM/YYYY everywhere, whatever the language.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
FORMAT_MODULE_PATH = ["outreach.formats"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# WhiteNoise serves compressed files with cache-busting names (collectstatic in production).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploaded files (import files waiting for a worker). Private: never served by URL.
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = "media/"

LOGIN_URL = "admin:login"

# Celery: Redis in production and CI; without a broker, tasks run in-process
# so that the quick start needs nothing but Python.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=env("REDIS_URL", default=""))
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_RESULT_EXPIRES = 7 * 24 * 60 * 60
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 10 * 60
# Longer than any task, so Redis never hands a running task to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Admin changelists count rows exactly only up to this many: a larger table
# unfiltered shows PostgreSQL's estimate ("about"), a larger filtered list
# "more than" this (outreach.paginator).
ADMIN_EXACT_COUNT_LIMIT = env.int("ADMIN_EXACT_COUNT_LIMIT", default=10_000)
# The youngest age the visit form ticks for help with VssID / VNeID: a level-2 VNeID account is for
# citizens of 14 and over (check); a younger child is helped only when the collector ticks them.
DIGITAL_ID_MIN_AGE = env.int("DIGITAL_ID_MIN_AGE", default=14)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # django-axes logs every sign-in at INFO; lockouts are warnings.
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Reminders (step 4) ------------------------------------------------------
# Backends are chosen like Django's EMAIL_BACKEND. Development writes messages
# to the console; production sets REMINDERS_SMS_BACKEND to the HTTP gateway.
REMINDERS_SMS_BACKEND = env("REMINDERS_SMS_BACKEND", default="reminders.channels.console.ConsoleBackend")
REMINDERS_EMAIL_BACKEND = env("REMINDERS_EMAIL_BACKEND", default="reminders.channels.console.ConsoleBackend")
REMINDERS_FILE_PATH = env("REMINDERS_FILE_PATH", default=str(BASE_DIR / "sent_reminders"))  # FileBackend
REMINDERS_MESSAGE_LANGUAGE = env("REMINDERS_MESSAGE_LANGUAGE", default="vi")  # which template is sent
REMINDERS_MAX_ATTEMPTS = env.int("REMINDERS_MAX_ATTEMPTS", default=8)
# Back-off after a transient failure: doubles from the first delay up to the longest.
REMINDERS_RETRY_DELAY = env.float("REMINDERS_RETRY_DELAY", default=60)
REMINDERS_RETRY_DELAY_MAX = env.float("REMINDERS_RETRY_DELAY_MAX", default=30 * 60)
# A message being sent belongs to its worker this long; after that (worker
# killed) another may send it again, with the same idempotency key.
REMINDERS_SEND_LEASE = env.float("REMINDERS_SEND_LEASE", default=2 * 60)
# A queued message handed to a worker is handed out again after this long.
REMINDERS_REDISPATCH_AFTER = env.float("REMINDERS_REDISPATCH_AFTER", default=15 * 60)
REMINDERS_CHUNK_SIZE = env.int("REMINDERS_CHUNK_SIZE", default=50)  # messages per Celery task
# A night's run catches up every night since the last completed one; a stage this many
# days late or more is recorded as skipped instead of sent.
REMINDERS_CATCH_UP_DAYS = env.int("REMINDERS_CATCH_UP_DAYS", default=7)
# A sent message with no final delivery report after this long is closed as "no delivery
# report" by the nightly batch, and its household goes on the collector's list.
REMINDERS_DLR_TIMEOUT_HOURS = env.int("REMINDERS_DLR_TIMEOUT_HOURS", default=48)
# Who a text names when a household has no collector (nor agent) today.
REMINDERS_OFFICE_NAME = env("REMINDERS_OFFICE_NAME", default="BHXH Đắk Lắk")
REMINDERS_OFFICE_PHONE = env("REMINDERS_OFFICE_PHONE", default="")
# Kannel's smsbox (reminders.channels.kannel.KannelBackend): /cgi-bin/sendsms and a sendsms-user.
KANNEL_SENDSMS_URL = env("KANNEL_SENDSMS_URL", default="http://127.0.0.1:13013/cgi-bin/sendsms")
KANNEL_USERNAME = env("KANNEL_USERNAME", default="")
KANNEL_PASSWORD = env("KANNEL_PASSWORD", default="")
KANNEL_SMSC = env("KANNEL_SMSC", default="")  # smsc-id to route through; empty: Kannel chooses
# Where smsbox sends delivery reports: this site's /reminders/dlr/kannel/ (signed per message with the secret).
KANNEL_DLR_URL = env("KANNEL_DLR_URL", default="")
KANNEL_DLR_SECRET = env("KANNEL_DLR_SECRET", default="")

SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_SENDER = env("SMS_GATEWAY_SENDER", default="BHXH DAKLAK")
SMS_GATEWAY_CONNECT_TIMEOUT = env.float("SMS_GATEWAY_CONNECT_TIMEOUT", default=5)
SMS_GATEWAY_READ_TIMEOUT = env.float("SMS_GATEWAY_READ_TIMEOUT", default=15)
# (Sending without diacritics is a setting of each channel policy, in the admin.)
# Delivery reports: the gateway POSTs {"client_ref", "status", "reason"} with this bearer secret.
SMS_GATEWAY_CALLBACK_SECRET = env("SMS_GATEWAY_CALLBACK_SECRET", default="")
# The gateway's error codes: retry (transient) or give up (permanent). Codes
# not listed: 5xx, 408, 425, 429 are retried, other 4xx are given up.
SMS_GATEWAY_ERROR_CODES = {
    **{code: "retry" for code in env.list(
        "SMS_GATEWAY_RETRY_CODES", default=["rate_limited", "throttled", "temporarily_unavailable", "queue_full"])},
    **{code: "give_up" for code in env.list(
        "SMS_GATEWAY_GIVE_UP_CODES",
        default=["invalid_number", "blocked_number", "unsubscribed", "invalid_sender", "content_rejected",
                 "unauthorized", "insufficient_credit"])},
}
# --- end of Reminders ---------------------------------------------------------

# --- Lists in and out (step 5) -------------------------------------------------
# An import is all or nothing: rows are written in one transaction or not at all.
IMPORT_EXPORT_USE_TRANSACTIONS = True
# Households-with-members files with more rows than this are checked and
# imported by a Celery worker while the admin shows their progress.
HOUSEHOLD_IMPORT_ASYNC_ROWS = env.int("HOUSEHOLD_IMPORT_ASYNC_ROWS", default=5_000)
# A checked file waits this long for its confirmation; then the nightly job
# deletes it (it holds personal data) and it must be uploaded again.
IMPORT_CONFIRM_DAYS = env.int("IMPORT_CONFIRM_DAYS", default=2)
# The office's province: its own top-ups on the state's support shares apply (66 = Đắk Lắk).
OUTREACH_PROVINCE_CODE = env.int("OUTREACH_PROVINCE_CODE", default=66)

# What one uploaded list may hold: rows, and bytes once an xlsx is unpacked
# (households/workbook.py measures before reading; a 100,000-row list is ~50 MB).
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
IMPORT_MAX_UNCOMPRESSED_MB = env.int("IMPORT_MAX_UNCOMPRESSED_MB", default=200)
# …and cells its sheets lay out together, each from A1 to its last row and column: what a
# reader holds in memory (~32 bytes a cell in calamine). 200,000 rows of 25 columns.
IMPORT_MAX_CELLS = env.int("IMPORT_MAX_CELLS", default=5_000_000)


# --- Security -------------------------------------------------------------------
# Production runs with DEBUG=0 behind a TLS proxy; `manage.py check --deploy`
# passes with these (CI runs it in .ci/smoke).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out username + address pairs
    "outreach.auth.UserBackend",  # Django's ModelBackend, with the collector account
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Behind nginx every sign-in comes from the proxy's address: set TRUSTED_PROXIES (addresses or
# networks, comma-separated) to the proxy's, and the lockout reads the client's own address from
# X-Forwarded-For, only for requests that come from those (outreach/client_ip.py).
TRUSTED_PROXIES = [ipaddress.ip_network(value.strip(), strict=False)
                   for value in env.list("TRUSTED_PROXIES", default=[]) if value.strip()]
AXES_CLIENT_IP_CALLABLE = "outreach.client_ip.client_ip"
AXES_VERBOSE = False

# The audit trail (who changed what) is kept this long, then trimmed nightly.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=5 * 365)

# Collectors share phones: a session lasts a working day at most.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # probes speak plain HTTP on the host
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy: nothing from outside the site (no CDN anywhere),
# no inline script; inline style attributes stay allowed for the admin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
    },
}
