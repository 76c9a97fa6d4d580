"""The front of `savdo serve`: requests are read whole on an event loop, then handled by Django in a
fixed pool of threads.

A threaded WSGI server gives a connection its thread as soon as the request's head arrives, so a
client that promises a body and sends it slowly holds that thread for as long as it likes: sixteen
such clients stop every worker. Here gunicorn's ASGI worker reads each request on its event loop
(a slow client costs a socket and a coroutine, not a thread) and this application waits for the
whole body, within `SAVDO_MAX_BULK_BODY_BYTES` and `SAVDO_BODY_TIMEOUT` seconds, before a thread
of the pool sees the request. The threads run Django's WSGI handler as a threaded WSGI server
would: each thread keeps its own database connection from one request to the next.

In front of it in production, a proxy that buffers request bodies does the same job once more
(deploy/nginx.conf).
"""

import asyncio
import io
import logging
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

from savdo.wsgi import application as wsgi_application

logger = logging.getLogger("savdo.front")


def accept_unencoded_utf8_targets() -> None:
    """Let request targets carry UTF-8 bytes, as `curl "/api/clients?search=Иван"` sends them.

    RFC 9112 wants them percent-encoded, and gunicorn 27 refuses any other byte with a bare 400
    "Invalid request line" before the application sees the request, but curl, scripts and nginx
    (which passes the client's target through) send and forward them as typed; Django decodes them
    as UTF-8 either way. Control characters, spaces and DEL are still refused. This replaces the
    module-level pattern of gunicorn's own parser (`gunicorn.asgi.parser`): gunicorn is pinned to
    27.x in pyproject.toml, and tests/test_front.py fails if an upgrade moves or ignores it.
    """
    from gunicorn.asgi import parser

    parser.RFC9112_TARGET_INVALID = re.compile(rb"[^\x21-\x7e\x80-\xff]")


BODY_TIMEOUT = float(os.environ.get("SAVDO_BODY_TIMEOUT", "30"))


class BodyTooLarge(Exception):
    """The request announces or sends more than the largest body any route accepts."""


class BodyTooSlow(Exception):
    """The request's body did not arrive in time."""


def wsgi_environ(scope: dict, body: bytes) -> dict:
    """The WSGI environ (PEP 3333) of an ASGI HTTP request whose body has been read."""
    server_name, server_port = scope.get("server") or ("localhost", 80)
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", "").encode("utf-8").decode("latin-1"),
        "PATH_INFO": scope["path"].encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server_name),
        "SERVER_PORT": str(server_port if server_port is not None else 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": (scope.get("client") or ("", 0))[0],
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[name] = value
            continue
        key = f"HTTP_{name}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def _plain(status: int, text: str) -> tuple[dict, dict]:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    return (
        {"type": "http.response.start", "status": status, "headers": [*headers, (b"connection", b"close")]},
        {"type": "http.response.body", "body": body, "more_body": False},
    )


class BufferedWSGI:
    """An ASGI application that reads a request whole, then runs a WSGI application on it in a pool of
    `threads` threads."""

    def __init__(self, wsgi_app, threads: int, max_body: int, body_timeout: float):
        self.wsgi_app = wsgi_app
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="savdo-request")

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets: the server closes the connection
        try:
            body = await asyncio.wait_for(self._read_body(scope, receive), self.body_timeout)
        except BodyTooLarge:
            for message in _plain(413, "Request body too large."):
                await send(message)
            return
        except (TimeoutError, BodyTooSlow):
            for message in _plain(408, "Request body not received in time."):
                await send(message)
            return
        if body is None:
            return  # the client went away
        loop = asyncio.get_running_loop()
        # run_in_executor does not copy the context: each pool thread keeps its own (and Django's
        # database connection in it) across requests, as under a threaded WSGI server.
        messages = await loop.run_in_executor(self.executor, self._respond, scope, body, loop, send)
        for message in messages:
            await send(message)

    async def _read_body(self, scope: dict, receive) -> bytes | None:
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length" and value.isdigit() and int(value) > self.max_body:
                raise BodyTooLarge
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _respond(self, scope: dict, body: bytes, loop, send) -> list[dict]:
        """Run the WSGI application in this pool thread. An answer held in memory comes back whole, for
        the event loop to send; a streamed one (an export) is passed to the loop chunk by chunk."""
        started = {}
        head_request = scope["method"] == "HEAD"

        def start_response(status, headers, exc_info=None):
            if exc_info and started.get("sent"):
                raise exc_info[1].with_traceback(exc_info[2])
            started["message"] = {
                "type": "http.response.start",
                "status": int(status.split(" ", 1)[0]),
                "headers": [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers],
            }
            return lambda data: forward(data, more=True)

        def messages_for(data: bytes, more: bool) -> list[dict]:
            messages = []
            if not started.get("sent"):
                messages.append(started["message"])
                started["sent"] = True
            messages.append({"type": "http.response.body", "body": b"" if head_request else data, "more_body": more})
            return messages

        def forward(data: bytes, more: bool) -> None:
            asyncio.run_coroutine_threadsafe(_send_all(send, messages_for(data, more)), loop).result()

        result = self.wsgi_app(wsgi_environ(scope, body), start_response)
        try:
            if not getattr(result, "streaming", False) and not started.get("sent"):
                return messages_for(b"".join(result), more=False)
            held = None  # one chunk held back, so that the last one goes out with more_body=False
            for chunk in result:
                if not chunk:
                    continue
                if held is not None:
                    forward(held, more=True)
                held = chunk
            forward(held or b"", more=False)
            return []
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                try:
                    close()  # Django's request_finished: in this thread, with this thread's connection
                except Exception:
                    # The answer is complete: what fails after it (a connection lost while being
                    # released) is logged, as a WSGI server that has sent the answer would.
                    logger.exception("error while finishing %s %s", scope["method"], scope["path"])

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.executor.shutdown(wait=True, cancel_futures=False)
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _send_all(send, messages: list[dict]) -> None:
    for message in messages:
        await send(message)


accept_unencoded_utf8_targets()  # gunicorn's worker imports this module before it reads a request
application = BufferedWSGI(
    wsgi_application,
    threads=int(os.environ.get("SAVDO_THREADS", "4")),
    max_body=settings.MAX_BULK_BODY_BYTES,
    body_timeout=BODY_TIMEOUT,
)
