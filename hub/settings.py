"""Settings for the model hub: one file, every value from the environment.

The defaults make `scripts/run` work on a fresh machine (SQLite, local files, an embedded
Celery broker). Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and ALLOWED_HOSTS.
See the configuration table in the README.
"""

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.conf import global_settings
from django.core.exceptions import ImproperlyConfigured

from hub.env import env_bool, env_int, env_list, env_str, secret_key_from_file

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data"))).resolve()

DEBUG = env_bool("DEBUG", False)
# The run command's local setup (never a deployment): a secret key generated into DATA_DIR,
# plain HTTP, anvil's development key, demo accounts, templates and static files read fresh
# on every request. Errors still get the hub's own pages, as DEBUG is off there.
DEVELOPMENT = env_bool("DEVELOPMENT", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or DEVELOPMENT):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = secret_key_from_file(DATA_DIR / "secret_key")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.forms",
    "markdownx",
    "ninja",
    "axes",
    "accounts",
    "repos",
    "releases",
    "inference",
    "moderation",
    "demo",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # /healthz, /readyz and /metrics, answered before the host check and the HTTPS redirect.
    "hub.probes.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "hub.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "releases.metrics.UploadBytesMiddleware",  # before CSRF, which may read a form's body
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.tokens.TokenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "hub.web.DomainErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last: turns a locked-out log-in into the lock-out page (429).
    "axes.middleware.AxesMiddleware",
]

# Who gets in and how often: the trusted proxies (the client's address), log-in throttling,
# sign-up and token limits.
from hub.access_settings import *  # noqa: E402, F403

# Account mails: the mail server (EMAIL_*), their limits and how long their links work.
from hub.mail_settings import *  # noqa: E402, F403

ROOT_URLCONF = "hub.urls"
WSGI_APPLICATION = "hub.wsgi.application"

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
                "hub.context_processors.site",
            ],
            "builtins": [
                "django.templatetags.static",
                "django.contrib.humanize.templatetags.humanize",
                "hub.templatetags.hub_tags",
            ],
        },
    },
]
if DEVELOPMENT and not DEBUG:  # templates read on every request, as edited (no cache)
    TEMPLATES[0]["APP_DIRS"] = False
    TEMPLATES[0]["OPTIONS"]["loaders"] = [
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
# Lets templates override the markdownx widget and form widgets.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'hub.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue for the lock instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's default random_page_cost (4) models spinning disks and makes it scan the
    # whole table instead of the search index; 1.1 is the usual value for SSDs and caches.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c random_page_cost={env_str('PG_RANDOM_PAGE_COST', '1.1')}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files are served by whitenoise; media (uploaded files) by the storage backend.
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Plus netron's web viewer, from the installed package, as static/netron/ (hub/staticfiles.py).
STATICFILES_FINDERS = [*global_settings.STATICFILES_FINDERS, "hub.staticfiles.PackageFinder"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))

STORAGE_BACKEND = env_str("STORAGE_BACKEND", "local")
if STORAGE_BACKEND == "local":
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
elif STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "region_name": env_str("S3_REGION") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "querystring_expire": env_int("S3_URL_EXPIRE_SECONDS", 300),
            "file_overwrite": False,
            "default_acl": None,
            # Signature V4 everywhere: what current S3 regions require, and a direct upload's
            # part URL then signs the part's Content-Length (S3 refuses any other size).
            "signature_version": "s3v4",
        },
    }
else:
    raise ImproperlyConfigured("STORAGE_BACKEND must be 'local' or 's3'.")
# On S3 storage, clients that ask for it send chunks straight to presigned part URLs of an S3
# multipart upload (hub/s3.py), valid this many seconds; the bytes never pass the web servers.
HUB_UPLOAD_DIRECT = env_bool("HUB_UPLOAD_DIRECT", True)
HUB_UPLOAD_PART_URL_SECONDS = env_int("HUB_UPLOAD_PART_URL_SECONDS", 3600)
# The bucket's origin on S3 storage (the endpoint, or AWS's hosts): the release page sends those
# chunks there, and the graph viewer follows a download's redirect there (connect-src).
_endpoint = urlsplit(env_str("S3_ENDPOINT_URL") or "")
_origin = f"{_endpoint.scheme}://{_endpoint.netloc}" if _endpoint.netloc else ""
STORAGE_ORIGINS = [_origin or "https://*.amazonaws.com"] if STORAGE_BACKEND == "s3" else []
_BUCKET_ORIGINS = STORAGE_ORIGINS if HUB_UPLOAD_DIRECT else []
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or DEVELOPMENT
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# In development whitenoise serves static files straight from the apps' folders, as edited.
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEVELOPMENT

# HTTPS hardening is on whenever DEBUG is off; HTTPS_ONLY=false turns it off for a plain-HTTP
# deployment behind a trusted proxy, or for the test suite's local browser.
HTTPS_ONLY = env_bool("HTTPS_ONLY", not (DEBUG or DEVELOPMENT))
SECURE_SSL_REDIRECT = HTTPS_ONLY
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_REFERRER_POLICY = "same-origin"  # other sites (a model card's images) get no referrer
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "hub.api.csrf_failure"
# Content-Security-Policy (django-csp) on every page: scripts, styles, fetches and workers from
# the hub itself only, nothing inline, no framing. Images in model cards are linked by URL
# from anywhere, so img-src allows any https: source (the Markdown sanitizer drops data: URLs).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "https:"],
        "connect-src": [SELF, *_BUCKET_ORIGINS],
        "font-src": [SELF],
        "worker-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Permissions-Policy (hub/middleware.py): browser features no page of the hub uses.
PERMISSIONS_POLICY = ["accelerometer", "camera", "geolocation", "gyroscope", "magnetometer"]
PERMISSIONS_POLICY += ["microphone", "payment", "usb"]
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Cache: Redis when configured (a page is computed uncached while Redis is away), else
# per-process memory.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "hub.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis when REDIS_URL is set, else an embedded file-system broker in the data folder
# so that a real worker process runs without any server.
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost//"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {}
    if REDIS_URL
    else {
        "data_folder_in": str(DATA_DIR / "broker"),
        "data_folder_out": str(DATA_DIR / "broker"),
        "processed_folder": str(DATA_DIR / "broker-processed"),
        "store_processed": False,
        "control_folder": str(DATA_DIR / "broker-control"),
    }
)
CELERY_IMPORTS = ["hub.tasks"]
# Chain jobs wait on the network: they get their own queue so uploads are never stuck behind.
CELERY_TASK_ROUTES = {"inference.tasks.*": {"queue": "inference"}}
CELERY_BEAT_SCHEDULE = {
    "resume-stuck-inference-jobs": {
        "task": "inference.tasks.resume_stuck_jobs",
        "schedule": float(env_int("INFERENCE_RESUME_EVERY", 60)),
    },
    "resume-stuck-uploads": {
        "task": "releases.tasks.resume_stuck_uploads",
        "schedule": float(env_int("HUB_UPLOAD_RESUME_EVERY", 60)),
    },
    "clean-up-uploads": {"task": "releases.tasks.clean_up_uploads", "schedule": 3600.0},
    "prune-daily-activity": {"task": "repos.tasks.prune_daily_activity", "schedule": 3600.0},
    # Downloads and stars raise a score at once; this takes off the days that left the week.
    "refresh-trending": {"task": "repos.tasks.refresh_trending", "schedule": 900.0},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TASK_ACKS_LATE = True
# A task whose worker process dies is handed back to the queue, not acknowledged as done.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# With the broker away, give up sending after about a second (the work is recorded in the
# database and a periodic check queues it later) instead of holding the request.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.3,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Prometheus metrics at /metrics (hub/metrics.py): answered only to these addresses or
# networks, or to a request with `Authorization: Bearer <METRICS_TOKEN>`.
METRICS_ALLOWED_IPS = [
    str(ipaddress.ip_network(item, strict=False)) for item in env_list("METRICS_ALLOWED_IPS", [])
]
METRICS_TOKEN = env_str("METRICS_TOKEN")
# Asked at every scrape (one aggregate query each).
METRICS_COLLECTORS = [
    "hub.metrics.CeleryQueueCollector",
    "releases.metrics.UploadCollector",
    "inference.metrics.JobCollector",
]

# Markdown editor (django-markdownx): previews use the same renderer and sanitizer as pages.
# Text that cannot be rendered (hub.markdown's bounds) previews as a notice saying why.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "hub.markdown.render_markdown_or_notice"
MARKDOWNX_SERVER_CALL_LATENCY = 400
# Markdown that takes longer than this to render is "too large to render" (hub/markdown.py).
HUB_MARKDOWN_SECONDS = env_int("HUB_MARKDOWN_SECONDS", 5)
# Editor previews one user may ask for in a minute (each may cost HUB_MARKDOWN_SECONDS).
HUB_EDITOR_PREVIEWS_PER_MINUTE = env_int("HUB_EDITOR_PREVIEWS_PER_MINUTE", 30)

# Hub limits.
HUB_PAGE_SIZE = env_int("HUB_PAGE_SIZE", 20)
# Pages served to anonymous visitors from the cache (hub/pagecache.py) for at most this long.
HUB_PAGE_CACHE_SECONDS = env_int("HUB_PAGE_CACHE_SECONDS", 30)
HUB_MAX_FILE_SIZE = env_int("HUB_MAX_FILE_SIZE", 10 * 1024**3)
HUB_MAX_FILES_PER_RELEASE = env_int("HUB_MAX_FILES_PER_RELEASE", 1000)
# Operations (files added or deleted) one huggingface_hub commit may hold, counted before any
# work: a commit of 40,000 empty files held a web worker for 14.5 s before it was refused.
HUB_COMMIT_MAX_OPERATIONS = env_int("HUB_COMMIT_MAX_OPERATIONS", 2 * HUB_MAX_FILES_PER_RELEASE)
# 16 MiB: per-request costs spread over enough bytes (1 GiB through the CLI: 6.5 s with
# 8 MiB chunks, 5.9 s with 16 MiB); a multiple of the Blob ID's 256 KiB leaves, so each
# chunk brings its leaves; S3 parts of it allow files of 156 GiB.
HUB_UPLOAD_CHUNK_SIZE = env_int("HUB_UPLOAD_CHUNK_SIZE", 16 * 1024**2)
# Bytes one user's unfinished uploads may take in staging (their declared sizes).
HUB_UPLOAD_QUOTA = env_int("HUB_UPLOAD_QUOTA", 4 * HUB_MAX_FILE_SIZE)
# Room the local media folder should keep free: /readyz reports "degraded" below it.
HUB_STORAGE_MIN_FREE_MB = env_int("HUB_STORAGE_MIN_FREE_MB", 1024)
HUB_UPLOAD_VERIFY_LEASE = env_int("HUB_UPLOAD_VERIFY_LEASE", 300)
# Files up to this size are verified in the request of their last chunk, not by a worker.
HUB_UPLOAD_VERIFY_INLINE = env_int("HUB_UPLOAD_VERIFY_INLINE", 8 * 1024**2)
# The largest body one chunk request takes: a run of whole chunks (a client sending a whole
# file this way has it verified as it arrives). Keep it within the web server's timeout.
HUB_UPLOAD_REQUEST_MAX = env_int("HUB_UPLOAD_REQUEST_MAX", 4 * 1024**3)
HUB_UPLOAD_STUCK_AFTER = env_int("HUB_UPLOAD_STUCK_AFTER", 300)
HUB_UPLOAD_EXPIRE_DAYS = env_int("HUB_UPLOAD_EXPIRE_DAYS", 7)
HUB_REPORTS_PER_DAY = env_int("HUB_REPORTS_PER_DAY", 10)
HUB_FEATURED_COUNT = 6

# Test inferences on a chain. "local": an anvil node and the hub's own contract (deployed by
# `manage.py deploy_contract`, its address kept in DATA_DIR/chain/). "opengradient": the
# OpenGradient network's inference contract.
CHAIN_BACKEND = env_str("CHAIN_BACKEND", "local")
if CHAIN_BACKEND not in ("local", "opengradient"):
    raise ImproperlyConfigured("CHAIN_BACKEND must be 'local' or 'opengradient'.")
_OPENGRADIENT = CHAIN_BACKEND == "opengradient"
CHAIN_RPC_URL = env_str(
    "CHAIN_RPC_URL",
    "https://ogevmdevnet.opengradient.ai" if _OPENGRADIENT else "http://127.0.0.1:8545",
)
CHAIN_CONTRACT_ADDRESS = env_str(
    "CHAIN_CONTRACT_ADDRESS", "0x8383C9bD7462F12Eb996DD02F78234C0421A6FaE" if _OPENGRADIENT else ""
)
CHAIN_EXPLORER_TX_URL = env_str(
    "CHAIN_EXPLORER_TX_URL", "https://explorer.opengradient.ai/tx/{hash}" if _OPENGRADIENT else ""
)
# The signing key: CHAIN_PRIVATE_KEY, or the first line of the file CHAIN_PRIVATE_KEY_FILE.
# With DEBUG on and neither set, the local chain's well-known development key is used; with
# DEBUG off that key is refused.
CHAIN_PRIVATE_KEY = env_str("CHAIN_PRIVATE_KEY")
CHAIN_PRIVATE_KEY_FILE = env_str("CHAIN_PRIVATE_KEY_FILE")
CHAIN_DATA_DIR = DATA_DIR / "chain"
CHAIN_RECEIPT_TIMEOUT = env_int("CHAIN_RECEIPT_TIMEOUT", 120)
CHAIN_GAS_LIMIT_MARGIN = 1.25
INFERENCE_RPC_RETRIES = env_int("INFERENCE_RPC_RETRIES", 5)
INFERENCE_RETRY_DELAY = env_int("INFERENCE_RETRY_DELAY", 2)
INFERENCE_LEASE_SECONDS = env_int("INFERENCE_LEASE_SECONDS", 300)
INFERENCE_STUCK_AFTER = env_int("INFERENCE_STUCK_AFTER", 180)
INFERENCE_SESSION_CACHE_MB = env_int("INFERENCE_SESSION_CACHE_MB", 512)
INFERENCE_MAX_INPUT_VALUES = env_int("INFERENCE_MAX_INPUT_VALUES", 4096)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # A failing readiness check is one line from hub.probes, not a traceback per probe.
        "health_check": {"level": "ERROR"},
    },
}
