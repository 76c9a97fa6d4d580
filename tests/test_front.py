"""The front of `savdo serve` (savdo/front.py): a request reaches a thread only once it is whole, so
clients that send their bodies slowly cannot hold the threads; the WSGI environ and the answer pass
through unchanged."""

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.handlers.wsgi import WSGIRequest

from savdo.cli import gunicorn_argv, serve_parser
from savdo.front import BufferedWSGI, wsgi_environ

ROOT = Path(__file__).resolve().parent.parent


def _scope(method="GET", path="/", headers=(), query=b""):
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query,
        "headers": list(headers),
        "http_version": "1.1",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("10.0.0.7", 50000),
    }


def _echo_app(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Path", environ["PATH_INFO"])])
    return [b"got:", body]


class _Client:
    """Drives one ASGI request: the body arrives in the parts given, or never (`stall`)."""

    def __init__(self, parts=(b"",), stall=False):
        self.parts = list(parts)
        self.stall = stall
        self.sent = []

    async def receive(self):
        if self.stall:
            await asyncio.Event().wait()
        part = self.parts.pop(0)
        return {"type": "http.request", "body": part, "more_body": bool(self.parts)}

    async def send(self, message):
        self.sent.append(message)

    @property
    def status(self):
        return self.sent[0]["status"]

    @property
    def body(self):
        return b"".join(m.get("body", b"") for m in self.sent[1:])


def test_the_environ_is_what_a_wsgi_server_would_give():
    environ = wsgi_environ(
        _scope(
            "POST",
            "/api/clients/Тошкент",
            headers=[
                (b"content-type", b"application/json"),
                (b"content-length", b"2"),
                (b"accept-language", b"uz"),
                (b"x-forwarded-for", b"1.1.1.1"),
                (b"x-forwarded-for", b"2.2.2.2"),
            ],
            query=b"page=2&search=%D0%90",
        ),
        b"{}",
    )
    assert environ["REQUEST_METHOD"] == "POST"
    assert environ["PATH_INFO"].encode("latin-1").decode("utf-8") == "/api/clients/Тошкент"
    assert environ["QUERY_STRING"] == "page=2&search=%D0%90"
    assert environ["CONTENT_TYPE"] == "application/json"
    assert environ["CONTENT_LENGTH"] == "2"
    assert "HTTP_CONTENT_TYPE" not in environ
    assert environ["HTTP_ACCEPT_LANGUAGE"] == "uz"
    assert environ["HTTP_X_FORWARDED_FOR"] == "1.1.1.1,2.2.2.2"
    assert environ["REMOTE_ADDR"] == "10.0.0.7"
    assert environ["wsgi.input"].read() == b"{}"
    assert environ["wsgi.url_scheme"] == "http"


def test_slow_bodies_do_not_hold_the_threads():
    """Sixteen requests whose bodies never come, on a pool of one thread: the next request is served."""
    app = BufferedWSGI(_echo_app, threads=1, max_body=1000, body_timeout=60)

    async def scenario():
        slow = [_Client(stall=True) for _ in range(16)]
        pending = [asyncio.ensure_future(app(_scope("POST"), c.receive, c.send)) for c in slow]
        await asyncio.sleep(0)  # let them start and wait for their bodies
        quick = _Client(parts=[b"ab", b"cd"])
        await asyncio.wait_for(app(_scope("POST", "/quick"), quick.receive, quick.send), timeout=10)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return quick, slow

    quick, slow = asyncio.run(scenario())
    assert quick.status == 200
    assert quick.body == b"got:abcd"
    assert (b"x-path", b"/quick") in quick.sent[0]["headers"]
    assert all(not c.sent for c in slow)


def test_a_body_that_does_not_arrive_in_time_is_a_408():
    app = BufferedWSGI(_echo_app, threads=1, max_body=1000, body_timeout=0.01)
    client = _Client(stall=True)
    asyncio.run(app(_scope("POST"), client.receive, client.send))
    assert client.status == 408


@pytest.mark.parametrize(
    ("headers", "parts"),
    [([(b"content-length", b"2000")], [b""]), ([], [b"x" * 600, b"x" * 600])],
    ids=["announced", "sent"],
)
def test_a_body_over_the_largest_accepted_is_a_413(headers, parts):
    app = BufferedWSGI(_echo_app, threads=1, max_body=1000, body_timeout=60)
    client = _Client(parts=parts)
    asyncio.run(app(_scope("POST", headers=headers), client.receive, client.send))
    assert client.status == 413


def test_a_streamed_answer_goes_out_chunk_by_chunk_and_ends_once():
    class Streamed:
        streaming = True
        closed = False

        def __iter__(self):
            yield from (b"a,b\n", b"", b"1,2\n", b"3,4\n")

        def close(self):
            Streamed.closed = True

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/csv")])
        return Streamed()

    client = _Client()
    asyncio.run(BufferedWSGI(app, threads=1, max_body=10, body_timeout=5)(_scope(), client.receive, client.send))
    bodies = [m for m in client.sent if m["type"] == "http.response.body"]
    assert [m["body"] for m in bodies] == [b"a,b\n", b"1,2\n", b"3,4\n"]
    assert [m["more_body"] for m in bodies] == [True, True, False]
    assert Streamed.closed


def test_a_head_request_gets_headers_without_a_body():
    client = _Client()
    app = BufferedWSGI(_echo_app, threads=1, max_body=10, body_timeout=5)
    asyncio.run(app(_scope("HEAD"), client.receive, client.send))
    assert client.status == 200
    assert client.body == b""


def test_django_reads_an_unencoded_utf8_query_as_typed():
    environ = wsgi_environ(_scope(path="/api/clients", query="search=Иван&tags=1,2".encode()), b"")
    request = WSGIRequest(environ)
    assert request.GET["search"] == "Иван" and request.GET["tags"] == "1,2"


def test_serve_runs_the_buffering_front():
    argv = gunicorn_argv(serve_parser().parse_args([]))
    assert "savdo.front:application" in argv
    assert argv[argv.index("--worker-class") + 1] == "asgi"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_savdo_serve_answers_while_sixteen_clients_send_bodies_slowly(tmp_path):
    """The real server, one worker with one thread: sixteen connections that promise a body and send a
    few bytes of it do not stop it."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "SAVDO_REUSE_PORT": "0"}
    env.pop("REDIS_URL", None)
    serve = ["serve", "--no-migrate", "--port", str(port), "--workers", "1", "--threads", "1"]
    server = subprocess.Popen(
        [sys.executable, "-m", "savdo.cli", *serve],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    slow = []
    try:
        deadline = time.monotonic() + 60
        for line in server.stderr:  # gunicorn logs to stderr; wait for the worker to listen
            if "listening on" in line or time.monotonic() > deadline:
                break
        assert server.poll() is None, "the server did not start"
        for _ in range(16):
            connection = socket.create_connection(("127.0.0.1", port), timeout=10)
            connection.sendall(
                b"POST /api/users/auth/login/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 1000\r\n\r\n{"username":'
            )
            slow.append(connection)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
            assert answer.status == 200
        # A query typed with Cyrillic, sent as curl sends it (UTF-8, not percent-encoded), reaches
        # Django; gunicorn alone would answer 400 "Invalid request line" (savdo/front.py).
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            request = "GET /healthz?search=Иван HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            connection.sendall(request.encode())
            assert connection.recv(64).startswith(b"HTTP/1.1 200"), "a UTF-8 request target is refused"
    finally:
        for connection in slow:
            connection.close()
        server.terminate()
        server.wait(timeout=30)
