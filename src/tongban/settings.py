"""Django settings for Tongban: the one settings module. Values from the environment come from config.CONFIG."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from tongban.config import CONFIG

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = CONFIG.var_dir

SECRET_KEY = CONFIG.secret_key
DEBUG = False
TONGBAN_ENV = CONFIG.environment
ALLOWED_HOSTS = CONFIG.allowed_hosts
CSRF_TRUSTED_ORIGINS = CONFIG.csrf_trusted_origins

INSTALLED_APPS = [
    "tongban.accounts.admin_site.TongbanAdminConfig",  # django.contrib.admin with the second-factor site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "oauth2_provider",
    "tongban.core",
    "tongban.accounts",
    "tongban.catalog",
    "tongban.cases",
    "tongban.notifications",
    "tongban.licences",
    "tongban.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tongban.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tongban.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Right after authentication: signs out a session ended elsewhere (安全设置 → 下线); keeps 最近活动 up to date.
    "tongban.accounts.middleware.UserSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication and messages: re-checks the enterprise identity a person switched to on every request.
    "tongban.accounts.acting.ActingForMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tongban.core.errors.DomainErrorMiddleware",
]

ROOT_URLCONF = "tongban.urls"
WSGI_APPLICATION = "tongban.wsgi.application"

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
                "tongban.core.context_processors.platform",
            ],
        },
    },
]


def _database(url: str) -> dict:
    db = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if db["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, but a connection used in the last two seconds skips the per-request `SELECT 1` health
        # check (core/db/base.py): on a busy worker that check was one extra round trip on every request.
        db["ENGINE"] = "tongban.core.db"
        # Parameters bound on the server (not interpolated into the SQL text) let psycopg prepare a statement once it
        # has run `prepare_threshold` times on a connection; PostgreSQL then skips parsing and planning it. The case
        # lookup's five-table join went from ~1 000 to ~1 480 req/s at 16 clients (docs/performance.md).
        # Added to what the URL sets (?sslmode=require and the like), never in place of it.
        if CONFIG.database_prepared:
            db["OPTIONS"] = {**db.get("OPTIONS", {}), "server_side_binding": True, "prepare_threshold": 5}
    if db["ENGINE"] == "django.db.backends.sqlite3":
        Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        db["CONN_MAX_AGE"] = 0
        # WAL lets the web workers read while the scheduler writes; IMMEDIATE takes the write lock at BEGIN so two
        # writers queue on the busy timeout instead of failing with "database is locked" half-way through.
        db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
        db["TEST"] = {"NAME": None}
    return db


DATABASES = {"default": _database(CONFIG.database_url)}
if CONFIG.replica_database_url:
    # Read-only copy for reports and exports that name it explicitly (.using("replica")); never for a request's writes.
    DATABASES["replica"] = _database(CONFIG.replica_database_url) | {"TEST": {"MIRROR": "default"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# ModelBackend first: it is the default that tests' force_login and sessions started before SessionUserBackend name;
# sessions started by accounts.signin.session_start name SessionUserBackend, which loads the user with one plain
# statement and authenticates nobody (accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "tongban.accounts.backends.SessionUserBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "tongban.accounts.password_validation.CharacterClassValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and times display as YYYY-MM-DD HH:MM in both languages (tongban/formats/).
FORMAT_MODULE_PATH = ["tongban.formats"]
TIME_ZONE = CONFIG.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
if not CONFIG.production:
    # WhiteNoise warns on every worker start when STATIC_ROOT is missing; the demo serves from the apps instead.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# The shared page shell (base.html's CSS, JS, icons) lives outside any app, next to templates/.
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

if CONFIG.storage == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {key: value for key, value in CONFIG.s3.items() if value} | {"default_acl": None},
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# WhiteNoise serves static files from gunicorn; in the demo it reads them from the apps, so no collectstatic step.
WHITENOISE_USE_FINDERS = not CONFIG.production
WHITENOISE_AUTOREFRESH = False

LOGIN_URL = "accounts:sign_in"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "tongban.core.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if CONFIG.behind_https_proxy:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000

# National-crypto keys (see core/crypto.py and core/pii.py).
TONGBAN_DATA_KEYS = CONFIG.data_keys
TONGBAN_INDEX_KEY = CONFIG.index_key
TONGBAN_MASTER_KEY = CONFIG.master_key
# Where signing keys live (licences/signers.py): the local software signer or a deployment's HSM signer class.
TONGBAN_SIGNER = CONFIG.signer
TONGBAN_REGION_CODE = CONFIG.region_code
TONGBAN_PLATFORM_NAME = CONFIG.platform_name
# Identity registries: the providers real-name verification and enterprise binding ask (accounts/registries.py).
TONGBAN_POPULATION_REGISTRY = CONFIG.population_registry
TONGBAN_LEGAL_ENTITY_REGISTRY = CONFIG.legal_entity_registry
# Text messages (sign-in codes): the sender class and, for the HTTP gateway, where it posts (accounts/sms.py).
TONGBAN_SMS_BACKEND = CONFIG.sms["backend"]
TONGBAN_SMS_GATEWAY_URL = CONFIG.sms["gateway_url"]
TONGBAN_SMS_GATEWAY_KEY = bytes.fromhex(CONFIG.sms["gateway_key"]) if CONFIG.sms["gateway_key"] else b""
TONGBAN_PUBLIC_URL = CONFIG.public_url  # printed in licence QR codes; "" = first trusted origin, else localhost
TONGBAN_DRAFT_DAYS = CONFIG.cases["draft_days"]  # a draft application is deleted this many days after its last save
TONGBAN_UPLOAD_MAX_BYTES = CONFIG.cases["upload_max_mb"] * 1024 * 1024
TONGBAN_MALWARE_SCANNER = CONFIG.cases["malware_scanner"]
TONGBAN_CLAMD_ADDRESS = CONFIG.cases["clamd_address"]
TONGBAN_LOOKUP_PER_MINUTE = CONFIG.cases["lookup_per_minute"]  # anonymous progress lookups per client IP

if CONFIG.cache_url:
    CACHES = {"default": {"BACKEND": "tongban.core.cache_redis.RedisCache", "LOCATION": CONFIG.cache_url}}
    # Sessions are read from Redis and written through to the database: a signed-in page loads its session without
    # a query, and a session revoked in any worker is deleted from both (accounts/signin.py). Without Redis the
    # cache is per process, where a revocation in one worker would not reach the others: sessions stay in the DB.
    SESSION_ENGINE = "tongban.accounts.sessions.cached_db"
else:
    # Room for the kept answers of a busy day (core/generation_cache.py): Django's default of 300 entries would cull
    # a third of them on every new search or verification once a few hundred licences had been verified.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tongban",
            "OPTIONS": {"MAX_ENTRIES": 10000},
        }
    }
    SESSION_ENGINE = "tongban.accounts.sessions.db"

TONGBAN_BENCH_CEILING = CONFIG.bench_ceiling  # bench/ceiling.py views at /__bench__/; set only by the bench runner

# Celery: with no broker every task runs in-process at .delay() (eager), and `manage.py scheduler` runs the
# periodic jobs, so the embedded demo does everything a full deployment does.
CELERY_BROKER_URL = CONFIG.celery_broker_url or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not CONFIG.celery_broker_url
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
# A broker that is down must cost a request at most about a second (core/outbox.py then pauses dispatching and the
# drain delivers): no publish retries, short connection timeouts.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 2, "max_retries": 0}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
TONGBAN_BROKER_CONFIGURED = bool(CONFIG.celery_broker_url)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "filters": {"request_id": {"()": "tongban.core.middleware.RequestIdLogFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": CONFIG.log_level},
    # SpiffWorkflow logs every task state change at INFO: far too much for a platform running thousands of cases.
    "loggers": {"django.db.backends": {"level": "INFO"}, "spiff": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 20
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
ADMIN_TITLE = _("通办政务服务平台管理后台")

# --- Single sign-on: the platform as an OpenID Connect provider (django-oauth-toolkit; accounts/oidc.py) ----------
# Department systems sign people in with the authorization code flow and PKCE S256; machine clients of /api/v1/ use
# client credentials. See docs/decisions/0006-openid-connect-provider.md and docs/api-guide.md.
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": CONFIG.oidc_private_key,
    # "" derives the issuer from each request (the site root); set TONGBAN_OIDC_ISSUER behind proxies.
    "OIDC_ISS_ENDPOINT": CONFIG.oidc_issuer,
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_SUBJECT_TYPES_SUPPORTED": ["public"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "client_credentials", "refresh_token"],
    "OAUTH2_SERVER_CLASS": "tongban.accounts.oidc.S256OnlyServer",
    "OAUTH2_VALIDATOR_CLASS": "tongban.accounts.oidc.TongbanOAuth2Validator",
    "SCOPES_BACKEND_CLASS": "tongban.accounts.oidc.TongbanScopes",
    # The scope names; accounts/oidc.py says what each reveals and which clients may ask for it.
    "SCOPES": {
        "openid": _("确认您的统一身份"),
        "profile": _("姓名"),
        "phone": _("手机号码"),
        "realname": _("实名等级"),
        "staff": _("工作人员所在机构和岗位角色"),
        "identity:read": _("查询已核验的身份信息（系统间接口）"),
        "cases": _("代您上传材料、提交申请并查看您的办件进度"),
    },
    "DEFAULT_SCOPES": ["openid"],
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 8 * 3600,
    # Consent is asked again only when a client wants more than a still-valid grant covers.
    "REQUEST_APPROVAL_PROMPT": "auto",
    # Demo department systems run on the intranet over http; production redirect URIs must be https.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"] if CONFIG.production else ["http", "https"],
}
