"""The bench only loads this machine, and its ceiling views exist only when the bench runner turns them on."""

import pytest

from bench.loadgen import HostRefused, generate, require_loopback
from bench.scenarios import select_scenarios
from bench.server import BenchSetupError, server_environment


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]"])
def test_loopback_addresses_are_accepted(host):
    assert require_loopback(host) in {"127.0.0.1", "127.0.0.2", "::1"}


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "example.org",
        "10.0.0.5",
        "0.0.0.0",  # noqa: S104 (refusing it is the point)
        "192.168.1.1",
        "::",
        "",
    ],
)
def test_other_hosts_are_refused(host):
    with pytest.raises(HostRefused):
        require_loopback(host)


def test_generator_refuses_remote_host_before_sending_anything():
    with pytest.raises(HostRefused):
        generate(host="93.184.216.34", port=80, method="GET", path="/", concurrency=1, duration_s=1, max_requests=1)


def test_cli_refuses_remote_host():
    from bench.runner import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["--host", "10.1.2.3"])


def test_scenarios_put_ceilings_first_once_and_reject_unknown():
    names = [s.name for s in select_scenarios(["home", "ceiling-insert"])]
    assert names == ["ceiling-constant", "ceiling-insert", "home"]
    with pytest.raises(ValueError):
        select_scenarios(["nope"])


def test_server_environment_turns_ceiling_on_and_refuses_production():
    env = server_environment({"DATABASE_URL": "sqlite:////tmp/x.sqlite3"})
    assert env["TONGBAN_BENCH_CEILING"] == "1"
    assert env["TONGBAN_ENV"] == "demo"
    assert env["DATABASE_URL"] == "sqlite:////tmp/x.sqlite3"
    with pytest.raises(BenchSetupError):
        server_environment({"TONGBAN_ENV": "production"})


def test_config_refuses_bench_ceiling_in_production(monkeypatch):
    from tongban.config import ConfigurationError, generate_rsa_private_key_pem, load_config

    monkeypatch.setenv("TONGBAN_ENV", "production")
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 50)
    monkeypatch.setenv("TONGBAN_DATA_KEYS", "k1:" + "00" * 16)
    monkeypatch.setenv("TONGBAN_INDEX_KEY", "11" * 32)
    monkeypatch.setenv("TONGBAN_MASTER_KEY", "22" * 32)
    monkeypatch.setenv("TONGBAN_OIDC_PRIVATE_KEY", generate_rsa_private_key_pem())
    monkeypatch.setenv("TONGBAN_BENCH_CEILING", "1")
    with pytest.raises(ConfigurationError, match="TONGBAN_BENCH_CEILING"):
        load_config()
    monkeypatch.setenv("TONGBAN_BENCH_CEILING", "0")
    assert load_config().bench_ceiling is False


@pytest.mark.django_db
def test_ceiling_urls_are_absent_without_the_flag(client):
    assert client.get("/__bench__/constant").status_code == 404
    assert client.post("/__bench__/insert").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_ceiling_insert_view_writes_one_row(rf):
    from django.db import connection

    from bench import ceiling

    ceiling.prepare_table()
    try:
        response = ceiling.insert(rf.post("/__bench__/insert"))
        assert response.status_code == 200
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {ceiling.TABLE}")
            assert cursor.fetchone()[0] == 1
        assert ceiling.insert(rf.get("/__bench__/insert")).status_code == 405
        assert ceiling.constant(rf.get("/__bench__/constant")).content == b"ok\n"
    finally:
        ceiling.drop_table()
