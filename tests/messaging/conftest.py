"""Messaging test helpers: recorded payloads, channels of each provider, signed webhook posts, and
a local HTTP receiver standing in for the providers' APIs (never the network)."""

import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from savdo.messaging import services
from savdo.messaging.choices import ChannelKind, Provider

FIXTURES = Path(__file__).parent / "fixtures"
BOT_TOKEN = "7412345678:AAHk3b2x9QwErTyUiOpAsDfGhJkLzXcVbNm"
APP_SECRET = "8f2b7c1d9e4a6f3b2c1d0e9f8a7b6c5d"
PHONE_NUMBER_ID = "106540352242922"
# Nothing listens there: an adapter that forgot its local receiver fails fast instead of going out.
DEAD_URL = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def _messaging_settings(settings):
    settings.SAVDO_MESSAGING_BACKGROUND = "inline"
    settings.SAVDO_TELEGRAM_API_URL = DEAD_URL
    settings.SAVDO_WHATSAPP_CLOUD_API_URL = DEAD_URL
    settings.SAVDO_PUBLIC_URL = ""


def payload(provider: str, name: str) -> bytes:
    """A recorded payload, byte for byte as stored (signatures are over these bytes)."""
    return (FIXTURES / provider / f"{name}.json").read_bytes()


def payload_json(provider: str, name: str) -> dict:
    return json.loads(payload(provider, name))


def connect(tenant, provider: str, **overrides):
    """A channel of `tenant` connected through the service, as the API would; the webhook secret it
    issued is on `channel.issued_webhook_secret`."""
    fields = {
        Provider.TELEGRAM: {"kind": ChannelKind.TELEGRAM, "name": "Shop bot", "bot_token": BOT_TOKEN},
        Provider.WHATSAPP_CLOUD: {
            "kind": ChannelKind.WHATSAPP,
            "name": "Shop WhatsApp",
            "app_secret": APP_SECRET,
            "access_token": "EAAGm0PX4ZCpsBAtesttoken",
            "phone_number_id": PHONE_NUMBER_ID,
            "verify_token": "verify-me-please",
        },
        Provider.EVOLUTION: {
            "kind": ChannelKind.WHATSAPP,
            "name": "Shop phone (QR)",
            "api_url": DEAD_URL,
            "api_key": "evolution-api-key-123",
            "instance": "savdo-shop",
        },
    }[provider]
    return services.channel_connect(
        tenant=tenant, provider=provider, webhook_base_url="http://testserver", **{**fields, **overrides}
    )


def signed_headers(channel, body: bytes, *, secret: str | None = None) -> dict:
    """The headers the channel's provider sends with `body`."""
    if channel.provider == Provider.TELEGRAM:
        return {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret or channel.credentials()["webhook_secret"]}
    if channel.provider == Provider.EVOLUTION:
        return {"HTTP_X_WEBHOOK_SECRET": secret or channel.credentials()["webhook_secret"]}
    key = (secret or channel.credentials()["app_secret"]).encode()
    return {"HTTP_X_HUB_SIGNATURE_256": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()}


def webhook_path(channel) -> str:
    return f"/api/webhooks/{channel.provider}/{channel.webhook_key}"


def post_webhook(channel, body: bytes | dict, *, client=None, headers: dict | None = None):
    """POST `body` to the channel's webhook as its provider does (signed unless `headers` given)."""
    if isinstance(body, dict):
        body = json.dumps(body, ensure_ascii=False).encode()
    client = client or APIClient()
    extra = signed_headers(channel, body) if headers is None else headers
    return client.generic("POST", webhook_path(channel), body, content_type="application/json", **extra)


class Receiver:
    """A local HTTP server standing in for a provider's API: records every request and answers
    with `respond(method, path, body) -> (status, json)` (200 `{"ok": true}` by default)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.respond: Callable[[str, str, dict | None], tuple[int, dict]] = lambda m, p, b: (200, {"ok": True})
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                receiver.requests.append(
                    {
                        "method": "POST",
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "json": body,
                    }
                )
                status, answer = receiver.respond("POST", self.path, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    """A local provider API; Telegram and WhatsApp Cloud adapters point at it."""
    server = Receiver()
    settings.SAVDO_TELEGRAM_API_URL = server.url
    settings.SAVDO_WHATSAPP_CLOUD_API_URL = server.url
    yield server
    server.close()
