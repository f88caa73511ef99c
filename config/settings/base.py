"""Settings shared by every environment, read from the environment (django-environ).

Local defaults are safe for a laptop demo: SQLite, a filesystem Celery broker and
mail written to files. Production overrides what must never have a default.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# The official address shown in the anti-phishing notice on every customer page.
OFFICIAL_DOMAIN = env("REDRESS_OFFICIAL_DOMAIN", default="127.0.0.1:8000")
SITE_URL = env("REDRESS_SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    # First: makes `runserver` (the demo) serve HTTP and WebSockets from one ASGI process.
    "daphne",
    "accounts.apps.RedressAdminConfig",  # django.contrib.admin, its site behind staff 2FA
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "bootstrap",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "evidence",
    "accounts",
    "sla",
    "helpcenter",
    "tickets",
    "escalation",
    "desk",
    "reports",
    "outbox",
    "mail",
    "chat",
    "channels",
    "anymail",
    "config.apps.ProjectConfig",  # the database role's grants after migrate (config.db_roles)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.request_limits.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.StaffVerificationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.web_errors.DomainErrorMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the lockout answer
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
# HTTP and the chat's WebSockets (config/asgi.py): daphne in the demo; in production uvicorn
# serves the sockets beside gunicorn (docker-compose.yml, service `asgi`).
ASGI_APPLICATION = "config.asgi.application"

# Django's form renderer with selects drawn in Python (config/form_renderer.py).
FORM_RENDERER = "config.form_renderer.FormRenderer"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "config.context_processors.site",
            ],
        },
    }
]

# SQLite in WAL mode by default so the demo's web server and worker can share it.
# No JIT compilation: a query whose estimated cost passes jit_above_cost (a queue view or a
# report at a million tickets) spent 60 to 260 ms compiling itself to run in 5.
POSTGRES_OPTIONS = {"options": "-c jit=off"}
DATABASES = {
    "default": env.db(
        "DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'redress.sqlite3'}",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        **POSTGRES_OPTIONS,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The role web, workers and beat connect as, when it is not the one that migrates
# (docker-compose.yml, .ci/run): `migrate` grants it row access and keeps the audit and
# evidence tables append-only for it (config.db_roles). Empty: one role does both.
REDRESS_DB_APP_ROLE = env("REDRESS_DB_APP_ROLE", default="")

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "tickets:my_tickets"
LOGOUT_REDIRECT_URL = "home"
# Where staff land after two-factor sign-in when no page was asked for.
STAFF_LOGIN_REDIRECT_URL = "staff:queue"
# Axes first: it refuses a locked-out email or address before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date and time format per language (config/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Evidence is private: outside static and media roots, served only by an access-checked view.
EVIDENCE_ROOT = Path(env("REDRESS_EVIDENCE_ROOT", default=str(VAR_DIR / "evidence")))
EVIDENCE_MAX_BYTES = env.int("REDRESS_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
EVIDENCE_MAX_PIXELS = env.int("REDRESS_EVIDENCE_MAX_PIXELS", default=40_000_000)
EVIDENCE_MAX_FILES_PER_TICKET = env.int("REDRESS_EVIDENCE_MAX_FILES", default=20)
EVIDENCE_ALLOWED_TYPES = env.list(
    "REDRESS_EVIDENCE_TYPES",
    default=["image/png", "image/jpeg", "image/webp", "application/pdf"],
)
# Django's own cap on a request body that is not a file upload; uploads stream to disk.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=30)
# The support mailbox: customers write to it, and our mails' reply addresses are
# plus-addresses of it (support+<reference>.<token>@…), so it must take those too.
REDRESS_SUPPORT_ADDRESS = env("REDRESS_SUPPORT_ADDRESS", default="support@redress.local")
DEFAULT_FROM_EMAIL = env(
    "DJANGO_DEFAULT_FROM_EMAIL", default=f"Redress <{REDRESS_SUPPORT_ADDRESS}>"
)
# A mail the server does not take waits and is tried again, every minute at first and
# then at most every REDRESS_MAIL_RETRY_MAX seconds, until it goes or this much time passed.
REDRESS_MAIL_RETRY_MAX = env.int("REDRESS_MAIL_RETRY_MAX", default=15 * 60)
REDRESS_MAIL_GIVE_UP_AFTER = timedelta(hours=env.int("REDRESS_MAIL_GIVE_UP_HOURS", default=72))
# Inbound mail: the demo's SMTP listener, an IMAP mailbox the beat polls (production,
# imaps://user:password@host/INBOX), and providers' webhooks through django-anymail.
REDRESS_SMTP_HOST = env("REDRESS_SMTP_HOST", default="127.0.0.1")
REDRESS_SMTP_PORT = env.int("REDRESS_SMTP_PORT", default=2525)
REDRESS_MAIL_MAX_BYTES = env.int("REDRESS_MAIL_MAX_BYTES", default=25 * 1024 * 1024)
REDRESS_IMAP_URL = env("REDRESS_IMAP_URL", default="")
ANYMAIL = {"WEBHOOK_SECRET": env("ANYMAIL_WEBHOOK_SECRET", default="")}

# The cache is shared by every web process (presence on the workbench, queue counts):
# Redis in production, files under var/ for the demo.
# Nothing in the cache is needed to answer a request, so Redis being away degrades it
# (config.cache): reads miss, writes drop, throttles let requests through.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# The chat's channel layer: what carries "message N added" from the process that stored it
# to the sockets. In memory for the demo's single process; Redis whenever there is one.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # Connections per process: every socket that joins or leaves a group takes
                # one for a moment (redis-py's default of 100 runs out when 100 reconnect).
                # A socket's receive blocks in BZPOPMIN for up to 5 s (channels_redis'
                # brpop_timeout), and redis-py 8 times reads out after 5 s by default, which
                # killed every consumer left idle that long: a read timeout longer than the
                # block, still short enough to notice a Redis that went away.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": env.int(
                            "REDRESS_CHANNEL_REDIS_CONNECTIONS", default=1000
                        ),
                        "socket_timeout": 15,
                    }
                ],
                "prefix": "redress-chat",
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Live chat (chat/): a waiting chat becomes a case after this many minutes, or after
# REDRESS_CHAT_NOBODY_SECONDS when no agent is available at all; an offer not accepted in
# REDRESS_CHAT_OFFER_SECONDS goes back to the queue. The sweep runs every
# REDRESS_CHAT_SWEEP_INTERVAL seconds (it also offers what a missed push left waiting).
REDRESS_CHAT_MAX_WAIT_MINUTES = env.int("REDRESS_CHAT_MAX_WAIT_MINUTES", default=10)
REDRESS_CHAT_NOBODY_SECONDS = env.int("REDRESS_CHAT_NOBODY_SECONDS", default=120)
REDRESS_CHAT_OFFER_SECONDS = env.int("REDRESS_CHAT_OFFER_SECONDS", default=60)
REDRESS_CHAT_SWEEP_INTERVAL = env.float("REDRESS_CHAT_SWEEP_INTERVAL", default=20.0)
# The estimated wait is the median of this many latest waits (accepted chats).
REDRESS_CHAT_WAIT_SAMPLE = env.int("REDRESS_CHAT_WAIT_SAMPLE", default=20)

# Celery: JSON only, acknowledge after the work is done, one message at a time.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        # The broker's exchange state, which kombu otherwise writes to ./control.
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
else:
    # Longer than the longest task, so a slow task is not delivered twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The SLA sweep: every minute by default. A beat that is late or missed loses nothing
# (the sweep selects by due time), so an expired duplicate is simply dropped.
SLA_SWEEP_INTERVAL = env.float("REDRESS_SLA_SWEEP_INTERVAL", default=60.0)
# Cases per transaction of the sweep, and the helpers a sweep with a backlog asks for: the
# worker's other processes (compose runs two; PostgreSQL does most of a batch's work, so two
# sweepers on two cores take a wave of breaches in about half the time).
REDRESS_SLA_SWEEP_BATCH = env.int("REDRESS_SLA_SWEEP_BATCH", default=500)
REDRESS_SLA_SWEEP_HELPERS = env.int("REDRESS_SLA_SWEEP_HELPERS", default=1)
REPORTS_FOLD_INTERVAL = env.float("REDRESS_REPORTS_FOLD_INTERVAL", default=300.0)
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {
        "task": "escalation.tasks.sla_sweep",
        "schedule": SLA_SWEEP_INTERVAL,
        "options": {"expires": SLA_SWEEP_INTERVAL * 0.9},
    },
    # The reports' roll-ups fold in the latest case events, and resolved cases are asked
    # for a rating (reports.tasks); summaries are made once a week or month has ended.
    "reports-fold": {
        "task": "reports.tasks.fold",
        "schedule": REPORTS_FOLD_INTERVAL,
        "options": {"expires": REPORTS_FOLD_INTERVAL * 0.9},
    },
    "reports-summaries": {
        "task": "reports.tasks.make_summaries",
        "schedule": 3600.0,
        "options": {"expires": 3000.0},
    },
    # Live chat: offers, expired offers, and chats that waited too long become cases.
    "chat-sweep": {
        "task": "chat.tasks.sweep",
        "schedule": REDRESS_CHAT_SWEEP_INTERVAL,
        "options": {"expires": REDRESS_CHAT_SWEEP_INTERVAL * 0.9},
    },
    # Tasks that could not reach the broker when their change committed (outbox.relay).
    "outbox-relay": {
        "task": "outbox.tasks.relay",
        "schedule": 60.0,
        "options": {"expires": 54.0},
    },
    # Mail that waits for the mail server (mail.delivery), and inbound mail a crash left.
    "mail-deliver": {
        "task": "mail.tasks.deliver_due",
        "schedule": 60.0,
        "options": {"expires": 54.0},
    },
    # The help center's once-per-visitor keys, kept only a few days (its counters stay).
    "help-prune-counted": {
        "task": "helpcenter.tasks.prune_counted",
        "schedule": 6 * 3600.0,
        "options": {"expires": 3600.0},
    },
}
if REDRESS_IMAP_URL:
    CELERY_BEAT_SCHEDULE["mail-fetch-imap"] = {
        "task": "mail.tasks.fetch_imap",
        "schedule": env.float("REDRESS_IMAP_INTERVAL", default=60.0),
        "options": {"expires": 54.0},
    }

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes a missing or dead token a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.access.StaffVerified",
    ],
    "DEFAULT_PAGINATION_CLASS": "tickets.api.pagination.TicketCursorPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.api_schema.RedressAutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    # Keyed on accounts.client_address.client_ip, never on X-Forwarded-For as sent.
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.throttles.AddressRateThrottle",
        "accounts.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("REDRESS_THROTTLE_ANON", default="60/min"),
        "user": env("REDRESS_THROTTLE_USER", default="600/min"),
        # The token endpoint: per account named in the request, and per client address
        # (high enough for an office behind one NAT address).
        "token_account": env("REDRESS_THROTTLE_TOKEN_ACCOUNT", default="10/min"),
        "token_address": env("REDRESS_THROTTLE_TOKEN_ADDRESS", default="120/min"),
        # The public help-center API: readable without signing in, per address or user.
        "help": env("REDRESS_THROTTLE_HELP", default="120/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Redress API",
    "DESCRIPTION": "Complaints and disputes desk for cryptocurrency exchanges.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "tickets.models.Channel",
        "PriorityEnum": "tickets.models.Priority",
        "StatusEnum": "tickets.models.Status",
        "TierEnum": "tickets.models.Tier",
    },
}

# Content Security Policy: everything is served by the app itself, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        # The chat's socket (ws:/wss: on this host match 'self') and the API, nothing else.
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Staff two-factor sign-in (django-otp, TOTP). An admin issues an enrolment invitation
# (Django admin, Users -> "Invite to enrol an authenticator"); the staff member follows the
# mailed link within REDRESS_ENROLMENT_HOURS, scans the QR code and confirms a code.
OTP_TOTP_ISSUER = env("REDRESS_OTP_ISSUER", default="Redress")
REDRESS_ENROLMENT_HOURS = env.int("REDRESS_ENROLMENT_HOURS", default=24)
REDRESS_BACKUP_CODES = 10

# API tokens expire this many days after they are issued.
REDRESS_API_TOKEN_DAYS = env.int("REDRESS_API_TOKEN_DAYS", default=30)
# A link to confirm the address given at sign-up works this long.
REDRESS_EMAIL_VERIFICATION_HOURS = env.int("REDRESS_EMAIL_VERIFICATION_HOURS", default=48)

# Lockout after failed sign-ins (django-axes with accounts.lockout.SignInLockHandler): wrong
# passwords on the web and the token endpoint and wrong authenticator or backup codes all
# count. Three locks, each for the cool-off after the latest failure that counts to it:
# - an account from one address, after AXES_FAILURE_LIMIT failures there (someone who
#   forgot their password; elsewhere the account still signs in);
# - an account from everywhere, after REDRESS_LOGIN_ACCOUNT_FAILURE_LIMIT failures from any
#   addresses (guessing spread over many machines): its owner is mailed a link to sign in
#   anyway, and admins are alerted;
# - an address for every account, after REDRESS_LOGIN_ADDRESS_FAILURE_LIMIT failures from
#   it (one machine trying many accounts), set far above what an office behind one NAT
#   address produces by mistyping.
# The lock does not extend while it holds, so the time the lockout page gives is the time
# it lifts.
AXES_HANDLER = "accounts.lockout.SignInLockHandler"
AXES_FAILURE_LIMIT = env.int("REDRESS_LOGIN_FAILURE_LIMIT", default=5)
REDRESS_LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("REDRESS_LOGIN_ACCOUNT_FAILURE_LIMIT", default=30)
REDRESS_LOGIN_ADDRESS_FAILURE_LIMIT = env.int("REDRESS_LOGIN_ADDRESS_FAILURE_LIMIT", default=100)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("REDRESS_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_FORM_FIELD = "username"  # Django's AuthenticationForm; the email is in it
AXES_USERNAME_CALLABLE = "accounts.lockout.attempted_email"  # also reads the API's `email`
AXES_CLIENT_IP_CALLABLE = "accounts.client_address.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["username", "email", "ip_address", "otp", "otp_token"]
# Reverse proxies in front of the app that append to X-Forwarded-For (0: none, the demo;
# docker-compose.yml: 1, Caddy). Every throttle and the lockout read the client's address
# through accounts.client_address.client_ip, which trusts only these.
REDRESS_TRUSTED_PROXIES = env.int("REDRESS_TRUSTED_PROXIES", default=0)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta header instead
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

TICKET_REFERENCE_PREFIX = "RD"
# The resolution lifecycle (DESIGN.md): an unanswered proposal counts as accepted after
# this many days; a resolved or rejected case may be appealed for this many days, then closes.
REDRESS_ACCEPT_AFTER_DAYS = env.int("REDRESS_ACCEPT_AFTER_DAYS", default=14)
REDRESS_APPEAL_WINDOW_DAYS = env.int("REDRESS_APPEAL_WINDOW_DAYS", default=30)
# Compensation worth more than this in the reference currency (each asset's admin-set
# reference price, tickets.AssetPrice) needs a second person; an asset without a price
# always does.
REDRESS_REFERENCE_CURRENCY = env.str("REDRESS_REFERENCE_CURRENCY", default="USD").upper()
# The regulator's clock (MiCA RTS on complaints handling, Commission Delegated Regulation
# (EU) 2025/294): a final decision within this many days of filing, unless the case's
# category sets its own; staff are warned this many days before it passes.
REDRESS_FINAL_DECISION_DAYS = env.int("REDRESS_FINAL_DECISION_DAYS", default=60)
REDRESS_FINAL_DECISION_WARNING_DAYS = env.int("REDRESS_FINAL_DECISION_WARNING_DAYS", default=10)
# The complaints-handling report (Article 8) counts cases past each step's limit: the first
# proposal (or rejection) within this many days of filing, the final decision by its
# deadline. The filing receipt is the acknowledgement: it is sent when the case is filed.
REDRESS_INVESTIGATION_DAYS = env.int("REDRESS_INVESTIGATION_DAYS", default=30)
# The case files of a period, as one archive from the reports pages: at most this many
# cases (a larger request is for `manage.py export_case_files`, which has no limit).
REDRESS_CASE_FILE_ARCHIVE_LIMIT = env.int("REDRESS_CASE_FILE_ARCHIVE_LIMIT", default=200)
# Help-center deflection: the dotted path of the help center's counts (reports/deflection.py).
REDRESS_DEFLECTION_SOURCE = env(
    "REDRESS_DEFLECTION_SOURCE", default="reports.deflection.help_center_counts"
)
REDRESS_APPROVAL_LIMIT = Decimal(env.str("REDRESS_APPROVAL_LIMIT", default="1000"))
# Committee panels: an odd number of members who never handled the case.
# An open workbench beats this often: who else has the case open, and what was written since.
REDRESS_PRESENCE_HEARTBEAT_SECONDS = env.int("REDRESS_PRESENCE_HEARTBEAT_SECONDS", default=20)
REDRESS_PANEL_SIZE = env.int("REDRESS_PANEL_SIZE", default=3)
PASSWORD_RESET_TIMEOUT = int(timedelta(hours=2).total_seconds())

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}
