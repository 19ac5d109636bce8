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


class _FramingHandler(BaseHTTPRequestHandler):
    """Answers framed the three ways a server may frame them: by length, in chunks, or by closing the connection."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        if self.path == "/chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"hello ", b"chunked ", b"world"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/close":
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"y" * 300_000)  # no length: the close ends it; more than one receive
            self.close_connection = True
        else:
            self.send_header("Content-Length", "0")
            self.end_headers()

    def log_message(self, *args):
        pass


def _generate_against(handler, *, path: str, concurrency: int, max_requests: int) -> dict:
    """Serve `handler` on a free loopback port for one generator run; the run's result."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return generate(
            host="127.0.0.1",
            port=server.server_address[1],
            method="GET",
            path=path,
            concurrency=concurrency,
            duration_s=10,
            max_requests=max_requests,
        )
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("path", ["/chunked", "/close", "/empty"])
def test_generator_reads_answers_framed_by_chunks_by_close_and_by_length(path):
    result = _generate_against(_FramingHandler, path=path, concurrency=2, max_requests=6)
    assert len(result["latencies_s"]) == 6
    assert result["error_kinds"] == {}
    assert result["elapsed_s"] < 5


def test_a_server_that_closes_mid_answer_is_an_error_not_a_success():
    class Truncating(_FramingHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"short")
            self.close_connection = True

    result = _generate_against(Truncating, path="/", concurrency=1, max_requests=3)
    assert result["error_kinds"] == {"RemoteDisconnected": 3}


def test_an_answer_that_is_not_http_is_an_error_and_the_run_goes_on():
    class Garbled(_FramingHandler):
        def do_GET(self):
            self.wfile.write(b"HTTP/1.1 OK fine\r\nContent-Length: 0\r\n\r\n")
            self.close_connection = True

    result = _generate_against(Garbled, path="/", concurrency=1, max_requests=2)
    assert result["error_kinds"] == {"BadResponse": 2}
