"""Every environment variable Tongban reads, in one place.

Each variable is documented in docs/configuration.md; add it there when you add it here.
`settings.py` imports `CONFIG` and nothing else reads `os.environ`.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

ENVIRONMENTS = ("demo", "production")


class ConfigurationError(RuntimeError):
    """A required setting is missing or malformed; the message says which and how to fix it."""


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if not raw:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"环境变量 {name} 只能是 true/false，当前为 {raw!r}")


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in _env(name, default).split(",") if item.strip()]


def parse_data_keys(raw: str, source: str) -> dict[str, bytes]:
    """Parse "id:hex32,id:hex32" into an ordered {key id: 16-byte SM4 key}; the first is the active key."""
    keys: dict[str, bytes] = {}
    for item in [part.strip() for part in raw.split(",") if part.strip()]:
        key_id, _, hex_key = item.partition(":")
        try:
            key = bytes.fromhex(hex_key)
        except ValueError:
            key = b""
        if not key_id or len(key) != 16:
            raise ConfigurationError(
                f"{source} 格式错误：应为 “密钥编号:32位十六进制”，多个以逗号分隔，第一个为当前密钥"
            )
        keys[key_id] = key
    if not keys:
        raise ConfigurationError(f"{source} 为空：至少需要一个数据加密密钥")
    return keys


def _load_or_create_demo_secrets(var_dir: Path) -> dict[str, str]:
    """Demo mode only: keep generated secrets in var/secrets.json so restarts keep sessions and data readable."""
    path = var_dir / "secrets.json"
    if path.exists():
        return _with_demo_oidc_key(path)
    var_dir.mkdir(parents=True, exist_ok=True)
    generated = {
        "secret_key": secrets.token_urlsafe(50),
        "data_keys": f"k1:{secrets.token_hex(16)}",
        "index_key": secrets.token_hex(32),
        "master_key": secrets.token_hex(32),
        "oidc_rsa_private_key": generate_rsa_private_key_pem(),
    }
    # Write to a temporary name then rename: two processes starting at once must not read half a file.
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(generated, indent=2), encoding="utf-8")
    os.chmod(tmp, 0o600)
    try:
        os.link(tmp, path)  # fails if another process won the race; then we read theirs
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return json.loads(path.read_text(encoding="utf-8"))


# --- OpenID Connect signing key (single sign-on; docs/decisions/0006-openid-connect-provider.md) ---------------


def generate_rsa_private_key_pem() -> str:
    """A new 2048-bit RSA private key as unencrypted PKCS#8 PEM (the ID-token signing key of a demo)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def _with_demo_oidc_key(path: Path) -> dict[str, str]:
    """Read secrets.json; one written before single sign-on existed gets its OIDC signing key added once.

    A lock serialises processes starting together, so they all end up signing with the one key stored in the file.
    """
    demo = json.loads(path.read_text(encoding="utf-8"))
    if demo.get("oidc_rsa_private_key"):
        return demo
    import fcntl

    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        demo = json.loads(path.read_text(encoding="utf-8"))
        if not demo.get("oidc_rsa_private_key"):
            demo["oidc_rsa_private_key"] = generate_rsa_private_key_pem()
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(demo, indent=2), encoding="utf-8")
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
    return demo


def parse_oidc_private_key(raw: str, source: str) -> str:
    """The PEM of an RSA private key (at least 2048 bits) given as PEM text or as the path of a PEM file.

    PEM text may have its line breaks written as \\n (an environment file holds one line per variable).
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    text = raw.replace("\\n", "\n").strip()
    if not text.startswith("-----BEGIN"):
        try:
            text = Path(text).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            raise ConfigurationError(
                f"{source} 应为 PEM 格式的 RSA 私钥，或存放该私钥的文件路径；文件无法读取"
            ) from None
    try:
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise ConfigurationError(f"{source} 不是可读取的 PEM 私钥（须为未加密的 RSA 私钥）") from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise ConfigurationError(f"{source} 必须是至少 2048 位的 RSA 私钥（用于 RS256 签名 ID Token）")
    return text + "\n"


@dataclass(frozen=True)
class Config:
    """The deployment's settings as read from the environment (see docs/configuration.md)."""

    environment: str
    var_dir: Path
    secret_key: str
    data_keys: dict[str, bytes]
    index_key: bytes
    master_key: bytes
    database_url: str
    replica_database_url: str
    celery_broker_url: str
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    behind_https_proxy: bool
    storage: str
    s3: dict[str, str] = field(default_factory=dict)
    region_code: str = ""
    platform_name: str = ""
    log_level: str = "INFO"
    time_zone: str = "Asia/Shanghai"
    bench_ceiling: bool = False
    # PostgreSQL: bind parameters on the server, so psycopg prepares a statement it has run 5 times on a connection
    # and PostgreSQL stops parsing and planning it on every request (off for a pooler that cannot keep them).
    database_prepared: bool = True
    oidc_private_key: str = ""  # PEM; signs ID tokens (RS256)
    oidc_issuer: str = ""  # "" = the site root of each request
    sms: dict[str, str] = field(default_factory=dict)  # backend, gateway_url, gateway_key (see _sms_config)
    # Identity registries (accounts/registries.py): dotted paths of the provider classes.
    population_registry: str = "tongban.accounts.registries.LocalPopulationRegistry"
    legal_entity_registry: str = "tongban.accounts.registries.LocalLegalEntityRegistry"
    public_url: str = ""  # https://zwfw.example.gov.cn: the address printed on documents (licence QR codes)
    cache_url: str = ""  # redis://… shares the cache (rate limits, page fragments) between workers; "" = per process
    cases: dict = field(default_factory=dict)  # applying and acceptance (see _cases_config)
    signer: str = "tongban.licences.signers.LocalSigner"  # signing keys: local software or an HSM (licences)

    @property
    def production(self) -> bool:
        return self.environment == "production"


def _required(name: str) -> str:
    value = _env(name)
    if not value:
        raise ConfigurationError(f"生产模式（TONGBAN_ENV=production）必须设置环境变量 {name}，见 docs/configuration.md")
    return value


def load_config() -> Config:
    """Read and validate the environment once; raise ConfigurationError with a Chinese message on bad input."""
    environment = _env("TONGBAN_ENV", "demo")
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(f"TONGBAN_ENV 只能是 {' / '.join(ENVIRONMENTS)}，当前为 {environment!r}")
    var_dir = Path(_env("TONGBAN_VAR_DIR") or REPO_ROOT / "var").resolve()

    if environment == "production":
        secret_key = _required("DJANGO_SECRET_KEY")
        data_keys = parse_data_keys(_required("TONGBAN_DATA_KEYS"), "TONGBAN_DATA_KEYS")
        index_hex, master_hex = _required("TONGBAN_INDEX_KEY"), _required("TONGBAN_MASTER_KEY")
        oidc_key_raw = _required("TONGBAN_OIDC_PRIVATE_KEY")
    else:
        demo = _load_or_create_demo_secrets(var_dir)
        secret_key = _env("DJANGO_SECRET_KEY") or demo["secret_key"]
        data_keys = parse_data_keys(_env("TONGBAN_DATA_KEYS") or demo["data_keys"], "TONGBAN_DATA_KEYS")
        index_hex = _env("TONGBAN_INDEX_KEY") or demo["index_key"]
        master_hex = _env("TONGBAN_MASTER_KEY") or demo["master_key"]
        oidc_key_raw = _env("TONGBAN_OIDC_PRIVATE_KEY") or demo["oidc_rsa_private_key"]
    index_key, master_key = (
        _hex_key("TONGBAN_INDEX_KEY", index_hex),
        _hex_key("TONGBAN_MASTER_KEY", master_hex),
    )

    storage = _env("TONGBAN_STORAGE", "local")
    if storage not in ("local", "s3"):
        raise ConfigurationError(f"TONGBAN_STORAGE 只能是 local 或 s3，当前为 {storage!r}")
    s3 = {}
    if storage == "s3":
        s3 = {
            "bucket_name": _required_any("TONGBAN_S3_BUCKET"),
            "endpoint_url": _env("TONGBAN_S3_ENDPOINT_URL"),
            "access_key": _env("TONGBAN_S3_ACCESS_KEY"),
            "secret_key": _env("TONGBAN_S3_SECRET_KEY"),
            "region_name": _env("TONGBAN_S3_REGION"),
        }

    # Only the bench runner (bench/server.py) sets this: it mounts unauthenticated ceiling views, one of them a write.
    bench_ceiling = _env_bool("TONGBAN_BENCH_CEILING", False)
    if bench_ceiling and environment == "production":
        raise ConfigurationError("TONGBAN_BENCH_CEILING 仅供压测工具使用，生产模式下不得开启")

    default_hosts = "" if environment == "production" else "127.0.0.1,localhost,[::1],testserver"
    return Config(
        environment=environment,
        var_dir=var_dir,
        secret_key=secret_key,
        data_keys=data_keys,
        index_key=index_key,
        master_key=master_key,
        database_url=_env("DATABASE_URL") or f"sqlite:///{var_dir / 'tongban.sqlite3'}",
        replica_database_url=_env("DATABASE_REPLICA_URL"),
        celery_broker_url=_env("CELERY_BROKER_URL"),
        allowed_hosts=_env_list("TONGBAN_ALLOWED_HOSTS", default_hosts),
        csrf_trusted_origins=_env_list("TONGBAN_CSRF_TRUSTED_ORIGINS"),
        behind_https_proxy=_env_bool("TONGBAN_BEHIND_HTTPS_PROXY", environment == "production"),
        storage=storage,
        s3=s3,
        region_code=_env("TONGBAN_REGION_CODE", "330122"),
        platform_name=_env("TONGBAN_PLATFORM_NAME", "通办·一体化在线政务服务平台"),
        log_level=_env("TONGBAN_LOG_LEVEL", "INFO").upper(),
        bench_ceiling=bench_ceiling,
        database_prepared=_env_bool("TONGBAN_DB_PREPARED", True),
        population_registry=_env("TONGBAN_POPULATION_REGISTRY", "tongban.accounts.registries.LocalPopulationRegistry"),
        legal_entity_registry=_env(
            "TONGBAN_LEGAL_ENTITY_REGISTRY", "tongban.accounts.registries.LocalLegalEntityRegistry"
        ),
        oidc_private_key=parse_oidc_private_key(oidc_key_raw, "TONGBAN_OIDC_PRIVATE_KEY"),
        oidc_issuer=_oidc_issuer(),
        sms=_sms_config(),
        cache_url=_cache_url(),
        public_url=_public_url(),
        cases=_cases_config(),
        signer=_env("TONGBAN_SIGNER", "tongban.licences.signers.LocalSigner"),
    )


def _public_url() -> str:
    """TONGBAN_PUBLIC_URL: the platform's public address as people reach it; printed in QR codes on licences."""
    url = _env("TONGBAN_PUBLIC_URL").rstrip("/")
    if url and not url.startswith(("https://", "http://")):
        raise ConfigurationError(f"TONGBAN_PUBLIC_URL 应为网址，如 https://zwfw.example.gov.cn，当前为 {url!r}")
    return url


def _cache_url() -> str:
    """TONGBAN_CACHE_URL: a Redis URL for the shared cache; empty keeps a per-process memory cache (the demo)."""
    url = _env("TONGBAN_CACHE_URL")
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigurationError(f"TONGBAN_CACHE_URL 应为 redis:// 地址，如 redis://127.0.0.1:6379/1，当前为 {url!r}")
    return url


def _env_positive_int(name: str, default: int) -> int:
    raw = _env(name)
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigurationError(f"环境变量 {name} 应为正整数，当前为 {raw!r}")
    return int(raw)


def _cases_config() -> dict:
    """Applying and acceptance: draft lifetime, upload limit, malware scanner and the anonymous lookup rate."""
    return {
        "draft_days": _env_positive_int("TONGBAN_DRAFT_DAYS", 30),
        "upload_max_mb": _env_positive_int("TONGBAN_UPLOAD_MAX_MB", 20),
        "malware_scanner": _env("TONGBAN_MALWARE_SCANNER", "tongban.cases.uploads.NoMalwareScanner"),
        "clamd_address": _env("TONGBAN_CLAMD_ADDRESS"),
        "lookup_per_minute": _env_positive_int("TONGBAN_LOOKUP_PER_MINUTE", 10),
    }


def _oidc_issuer() -> str:
    """TONGBAN_OIDC_ISSUER: the issuer URL exactly as department systems know it (https://host, no trailing slash)."""
    issuer = _env("TONGBAN_OIDC_ISSUER").rstrip("/")
    if issuer and not issuer.startswith(("https://", "http://")):
        raise ConfigurationError(f"TONGBAN_OIDC_ISSUER 应为网址，如 https://zwfw.example.gov.cn，当前为 {issuer!r}")
    return issuer


# --- SMS sender (sign-in codes; accounts/sms.py) -------------------------------------------------------------
SMS_LOCAL_BACKEND = "tongban.accounts.sms.LocalSmsSender"
SMS_HTTP_BACKEND = "tongban.accounts.sms.HttpSmsGateway"


def _sms_config() -> dict[str, str]:
    """TONGBAN_SMS_BACKEND (dotted path of the sender) and, for the HTTP gateway, its URL and HMAC-SM3 key."""
    backend = _env("TONGBAN_SMS_BACKEND", SMS_LOCAL_BACKEND)
    if not all(part.isidentifier() for part in backend.split(".")) or "." not in backend:
        raise ConfigurationError(
            f"TONGBAN_SMS_BACKEND 应为短信发送类的完整路径，如 {SMS_LOCAL_BACKEND}，当前为 {backend!r}"
        )
    url, key = _env("TONGBAN_SMS_GATEWAY_URL"), _env("TONGBAN_SMS_GATEWAY_KEY")
    if backend == SMS_HTTP_BACKEND:
        if not url.startswith(("https://", "http://")):
            raise ConfigurationError("使用 HTTP 短信网关时必须设置 TONGBAN_SMS_GATEWAY_URL（https://…）")
        _hex_key("TONGBAN_SMS_GATEWAY_KEY", key)
    return {"backend": backend, "gateway_url": url, "gateway_key": key}


def _required_any(name: str) -> str:
    value = _env(name)
    if not value:
        raise ConfigurationError(f"使用对象存储（TONGBAN_STORAGE=s3）时必须设置 {name}")
    return value


def _hex_key(name: str, value: str) -> bytes:
    try:
        key = bytes.fromhex(value)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise ConfigurationError(f"{name} 必须是至少 32 位的十六进制字符串")
    return key


CONFIG = load_config()
