"""Licence scenarios: registered with their own preparation module; the probe path is answered without a licence;
each client gets licences of its own, sharing only when the library is too small."""

from bench.scenarios import SCENARIOS
from bench.scenarios_licences import _sequences


def test_licence_scenarios_are_registered_with_their_preparation_module():
    api, page = SCENARIOS["licence-verify"], SCENARIOS["licence-verify-page"]
    assert (api.method, api.prepare, api.prepare_module) == ("GET", "verify-api", "bench.scenarios_licences")
    assert (page.prepare, page.prepare_module) == ("verify-page", "bench.scenarios_licences")
    assert api.path == "/api/v1/licences/0/verification" and page.path == "/licences/verify/0/"


def test_each_client_gets_its_own_licences_and_wraps_when_short():
    assert _sequences(list("abcdef"), clients=3, per_client=2) == [["a", "b"], ["c", "d"], ["e", "f"]]
    assert _sequences(list("abc"), clients=2, per_client=2) == [["a", "b"], ["c", "a"]]
