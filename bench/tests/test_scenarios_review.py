"""Review scenarios: registered with their own preparation module; a client with a sequence sends each of its requests
once, in order (every completion its own task), and starts again only when the list runs out."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.loadgen import _clients, generate
from bench.scenarios import SCENARIOS, select_scenarios


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Recorder.seen.append((self.path, body.decode()))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    _Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_review_scenarios_are_registered_with_their_preparation_module():
    assert {"review-worklist", "review-worklist-api", "review-complete"} <= set(SCENARIOS)
    complete = SCENARIOS["review-complete"]
    assert (complete.method, complete.prepare) == ("POST", "complete")
    assert complete.prepare_module == "bench.scenarios_review"
    assert SCENARIOS["clerk-worklist"].prepare_module == "bench.scenarios_cases"
    assert [s.name for s in select_scenarios(["review-complete"])][-1] == "review-complete"


def test_a_client_sends_its_sequence_in_order_and_then_starts_again(recorder):
    sequence = [{"path": f"/api/v1/review/tasks/{n}/complete", "body": f'{{"n": {n}}}'} for n in (7, 8, 9)]
    prepared = {"requests": [{"method": "POST", "path": "/x", "headers": {}, "body": None, "sequence": sequence}]}
    result = generate(
        host="127.0.0.1",
        port=recorder,
        method="POST",
        path="/x",
        concurrency=1,
        duration_s=10,
        max_requests=4,
        prepared=prepared,
    )
    assert result["error_kinds"] == {}
    assert _Recorder.seen == [
        ("/api/v1/review/tasks/7/complete", '{"n": 7}'),
        ("/api/v1/review/tasks/8/complete", '{"n": 8}'),
        ("/api/v1/review/tasks/9/complete", '{"n": 9}'),
        ("/api/v1/review/tasks/7/complete", '{"n": 7}'),
    ]


def test_clients_without_a_sequence_repeat_their_one_request():
    prepared = {"requests": [{"method": "GET", "path": "/b", "headers": {}, "body": None}]}
    [client] = _clients("127.0.0.1", 1, "GET", "/", 1, prepared)
    assert client.sequence is None and client.path == "/b"
