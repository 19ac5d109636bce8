"""The load generator against a tiny local server: it counts every request, stops at the budget, classifies errors."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.loadgen import generate


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a proxy or threaded server would

    def _answer(self):
        status = 500 if self.path == "/fail" else 200
        body = b"x"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer()

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_generator_stops_at_the_request_budget_and_counts_no_errors(local_server):
    result = generate(
        host="127.0.0.1", port=local_server, method="GET", path="/ok", concurrency=3, duration_s=10, max_requests=25
    )
    assert len(result["latencies_s"]) == 25
    assert result["error_kinds"] == {}
    assert result["elapsed_s"] < 10


def test_generator_counts_non_2xx_as_errors_by_status(local_server):
    result = generate(
        host="127.0.0.1", port=local_server, method="POST", path="/fail", concurrency=2, duration_s=10, max_requests=8
    )
    assert len(result["latencies_s"]) == 8
    assert result["error_kinds"] == {"HTTP 500": 8}


def test_generator_counts_refused_connections_as_errors():
    with ThreadingHTTPServer(("127.0.0.1", 0), _Handler) as closed:
        port = closed.server_address[1]
    result = generate(host="127.0.0.1", port=port, method="GET", path="/", concurrency=1, duration_s=10, max_requests=3)
    assert result["error_kinds"] == {"ConnectionRefusedError": 3}
