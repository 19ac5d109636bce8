import json

import pytest

from tongban import config


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in [
        "TONGBAN_ENV",
        "DJANGO_SECRET_KEY",
        "TONGBAN_DATA_KEYS",
        "TONGBAN_INDEX_KEY",
        "TONGBAN_MASTER_KEY",
        "TONGBAN_OIDC_PRIVATE_KEY",
        "TONGBAN_OIDC_ISSUER",
        "DATABASE_URL",
        "TONGBAN_STORAGE",
        "TONGBAN_S3_BUCKET",
    ]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TONGBAN_VAR_DIR", str(tmp_path / "var"))
    return monkeypatch


def test_demo_generates_secrets_once_into_var_and_reuses_them(clean_env, tmp_path):
    first = config.load_config()
    secrets_file = tmp_path / "var" / "secrets.json"
    assert secrets_file.stat().st_mode & 0o777 == 0o600
    second = config.load_config()
    assert (first.secret_key, first.data_keys, first.index_key) == (
        second.secret_key,
        second.data_keys,
        second.index_key,
    )
    assert list(first.data_keys) == [json.loads(secrets_file.read_text())["data_keys"].split(":")[0]]
    assert first.database_url == f"sqlite:///{tmp_path / 'var' / 'tongban.sqlite3'}"


def test_production_requires_each_secret_from_the_environment(clean_env, tmp_path):
    clean_env.setenv("TONGBAN_ENV", "production")
    with pytest.raises(config.ConfigurationError, match="必须设置环境变量 DJANGO_SECRET_KEY"):
        config.load_config()
    clean_env.setenv("DJANGO_SECRET_KEY", "x" * 50)
    with pytest.raises(config.ConfigurationError, match="TONGBAN_DATA_KEYS"):
        config.load_config()
    assert not (tmp_path / "var" / "secrets.json").exists()


def test_production_with_every_secret_loads(clean_env):
    clean_env.setenv("TONGBAN_ENV", "production")
    clean_env.setenv("DJANGO_SECRET_KEY", "x" * 50)
    clean_env.setenv("TONGBAN_DATA_KEYS", f"k2:{'ab' * 16},k1:{'cd' * 16}")
    clean_env.setenv("TONGBAN_INDEX_KEY", "ef" * 32)
    clean_env.setenv("TONGBAN_MASTER_KEY", "01" * 32)
    clean_env.setenv("TONGBAN_OIDC_PRIVATE_KEY", config.generate_rsa_private_key_pem())
    loaded = config.load_config()
    assert list(loaded.data_keys) == ["k2", "k1"]
    assert loaded.allowed_hosts == []
    assert loaded.behind_https_proxy is True


@pytest.mark.parametrize("raw", ["k1", "k1:abcd", ":" + "ab" * 16, "k1:" + "zz" * 16, ""])
def test_malformed_data_keys_are_refused_in_chinese(raw):
    with pytest.raises(config.ConfigurationError, match="TONGBAN_DATA_KEYS"):
        config.parse_data_keys(raw, "TONGBAN_DATA_KEYS")


def test_unknown_environment_and_storage_are_refused(clean_env):
    clean_env.setenv("TONGBAN_ENV", "staging")
    with pytest.raises(config.ConfigurationError, match="TONGBAN_ENV 只能是 demo / production"):
        config.load_config()
    clean_env.setenv("TONGBAN_ENV", "demo")
    clean_env.setenv("TONGBAN_STORAGE", "s3")
    with pytest.raises(config.ConfigurationError, match="TONGBAN_S3_BUCKET"):
        config.load_config()
    clean_env.setenv("TONGBAN_S3_BUCKET", "tongban-files")
    assert config.load_config().s3["bucket_name"] == "tongban-files"
