"""The ID-token signing key: required in production, generated once for the demo (also into an older secrets.json),
refused when it is not a usable RSA key."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tongban import config


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ["TONGBAN_ENV", "DJANGO_SECRET_KEY", "TONGBAN_DATA_KEYS", "TONGBAN_INDEX_KEY", "TONGBAN_MASTER_KEY"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TONGBAN_OIDC_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("TONGBAN_OIDC_ISSUER", raising=False)
    monkeypatch.setenv("TONGBAN_VAR_DIR", str(tmp_path / "var"))
    return monkeypatch


def _production(env) -> None:
    env.setenv("TONGBAN_ENV", "production")
    env.setenv("DJANGO_SECRET_KEY", "x" * 50)
    env.setenv("TONGBAN_DATA_KEYS", f"k1:{'cd' * 16}")
    env.setenv("TONGBAN_INDEX_KEY", "ef" * 32)
    env.setenv("TONGBAN_MASTER_KEY", "01" * 32)


def test_production_requires_the_signing_key(clean_env, tmp_path):
    _production(clean_env)
    with pytest.raises(config.ConfigurationError, match="必须设置环境变量 TONGBAN_OIDC_PRIVATE_KEY"):
        config.load_config()
    assert not (tmp_path / "var" / "secrets.json").exists()


def test_the_key_may_be_pem_with_escaped_line_breaks_or_a_file(clean_env, tmp_path):
    _production(clean_env)
    pem = config.generate_rsa_private_key_pem()
    clean_env.setenv("TONGBAN_OIDC_PRIVATE_KEY", pem.strip().replace("\n", "\\n"))
    assert config.load_config().oidc_private_key == pem
    key_file = tmp_path / "oidc.pem"
    key_file.write_text(pem)
    clean_env.setenv("TONGBAN_OIDC_PRIVATE_KEY", str(key_file))
    assert config.load_config().oidc_private_key == pem


@pytest.mark.parametrize("kind", ["garbage", "missing file", "ec key"])
def test_a_key_that_cannot_sign_rs256_is_refused_in_chinese(clean_env, tmp_path, kind):
    _production(clean_env)
    raw = {
        "garbage": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----",
        "missing file": str(tmp_path / "nowhere.pem"),
        "ec key": ec.generate_private_key(ec.SECP256R1())
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode(),
    }[kind]
    clean_env.setenv("TONGBAN_OIDC_PRIVATE_KEY", raw)
    with pytest.raises(config.ConfigurationError, match="TONGBAN_OIDC_PRIVATE_KEY"):
        config.load_config()


def test_the_demo_generates_one_key_and_adds_it_to_an_older_secrets_file(clean_env, tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    older = {"secret_key": "s" * 50, "data_keys": f"k1:{'ab' * 16}", "index_key": "ef" * 32, "master_key": "01" * 32}
    (var / "secrets.json").write_text(json.dumps(older))
    first = config.load_config()
    stored = json.loads((var / "secrets.json").read_text())
    assert stored == older | {"oidc_rsa_private_key": first.oidc_private_key}
    assert (var / "secrets.json").stat().st_mode & 0o777 == 0o600
    assert config.load_config().oidc_private_key == first.oidc_private_key


def test_the_issuer_must_be_a_url(clean_env):
    clean_env.setenv("TONGBAN_OIDC_ISSUER", "zwfw.example.gov.cn")
    with pytest.raises(config.ConfigurationError, match="TONGBAN_OIDC_ISSUER"):
        config.load_config()
    clean_env.setenv("TONGBAN_OIDC_ISSUER", "https://zwfw.example.gov.cn/")
    assert config.load_config().oidc_issuer == "https://zwfw.example.gov.cn"
