"""What every provider adapter shares: the provider-neutral events an inbound payload becomes, the
errors of authentication and sending, and outbound HTTP (standard library only).

An adapter (one module per provider) does four things:
- `authenticate(channel, credentials, headers, body)`: check the provider's signature or secret on the raw body
  in constant time; raise `MissingSignature` (401) or `BadSignature` (403);
- `parse(channel, payload)`: turn the provider's JSON into a list of events below (raising
  `MalformedPayload` for JSON it cannot read); what it skips (groups, our own echoes, kinds of
  update we do not handle) becomes a `Skipped` event, so the caller can say what happened;
- `send_text(channel, credentials, chat, text)`: send a reply, return the provider's message id or
  raise `SendFailed` (with `retryable`);
- `register_webhook(channel, credentials)`: tell the provider where to post, return the outcome.
"""

import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from savdo.messaging.constants import HTTP_TIMEOUT_SECONDS, MAX_NAME_LENGTH


class MissingSignature(Exception):
    """No signature or secret in the request: 401."""


class BadSignature(Exception):
    """A signature or secret that does not match: 403."""


class MalformedPayload(Exception):
    """Authenticated, but not a payload of this provider's shape: 400."""


class SendFailed(Exception):
    """The provider refused or could not be reached. `retryable`: a later attempt may succeed
    (network errors, 429, 5xx); otherwise the message fails at once (bad token, blocked bot, ...)."""

    def __init__(self, detail: str, *, retryable: bool, http_status: int | None = None):
        super().__init__(detail)
        self.detail = detail[:500]
        self.retryable = retryable
        self.http_status = http_status


@dataclass(frozen=True)
class Contact:
    """Who wrote: their messenger id (JID or Telegram user id), profile name, and what else the
    provider tells (Telegram username, a WhatsApp number as E.164 digits with `+`)."""

    external_id: str
    name: str = ""
    username: str = ""
    phone: str = ""


@dataclass(frozen=True)
class InboundMessage:
    external_chat_id: str
    external_id: str
    contact: Contact
    kind: str
    text: str = ""
    media: dict = field(default_factory=dict)
    sent_at: datetime | None = None


@dataclass(frozen=True)
class InboundEdit:
    """The person edited a message they sent earlier (`external_id` is the original's id)."""

    external_chat_id: str
    external_id: str
    contact: Contact
    text: str
    edited_at: datetime | None = None


@dataclass(frozen=True)
class StatusUpdate:
    """The provider's word on one of our outbound messages."""

    external_id: str
    status: str  # a DeliveryStatus value
    occurred_at: datetime | None = None
    detail: str = ""


@dataclass(frozen=True)
class Skipped:
    reason: str  # "group", "echo", "unsupported", "other_account"


Event = InboundMessage | InboundEdit | StatusUpdate | Skipped


@dataclass(frozen=True)
class Registration:
    """The outcome of registering our webhook with the provider (a WebhookStatus value + detail)."""

    status: str
    detail: str = ""


def secrets_equal(given: str | bytes | None, expected: str | bytes) -> bool:
    """Constant-time comparison of a presented secret with the expected one."""
    if given is None:
        return False
    if isinstance(given, str):
        given = given.encode()
    if isinstance(expected, str):
        expected = expected.encode()
    return hmac.compare_digest(given, expected)


def timestamp(value: Any) -> datetime | None:
    """A provider's Unix timestamp (number or numeric string) as an aware datetime, or None."""
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    if seconds <= 0 or seconds > 32503680000:  # year 3000: not a timestamp
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


def clip(text: Any, limit: int = MAX_NAME_LENGTH) -> str:
    return str(text or "").strip()[:limit]


def as_dict(value: Any) -> dict:
    if not isinstance(value, dict):
        raise MalformedPayload("expected an object")
    return value


def as_list(value: Any) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedPayload("expected a list")
    return value


def http_json(
    method: str, url: str, *, body: dict | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """Call a provider's JSON API (urllib; no third-party client). Returns (HTTP status, decoded
    body or None). Network failures raise `SendFailed(retryable=True)`; HTTP error statuses are
    returned, not raised, so each adapter reads the provider's error body its own way."""
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SendFailed(f"network error: {reason}", retryable=True) from exc
    try:
        decoded = json.loads(raw) if raw else None
    except ValueError:
        decoded = None
    return status, decoded


def retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


class Adapter:
    """The interface every provider module implements (see the module docstring)."""

    provider: str
    kind: str
    supports_handshake = False

    def authenticate(self, channel, credentials: dict, headers, body: bytes) -> None:  # pragma: no cover
        raise NotImplementedError

    def handshake(self, channel, credentials: dict, query) -> str:
        """The GET verification some providers do before posting; returns the text to answer."""
        raise BadSignature("no handshake for this provider")

    def parse(self, channel, payload: Any) -> list[Event]:  # pragma: no cover - interface
        raise NotImplementedError

    def send_text(self, channel, credentials: dict, chat, text: str) -> str:  # pragma: no cover
        raise NotImplementedError

    def register_webhook(self, channel, credentials: dict) -> Registration:  # pragma: no cover
        raise NotImplementedError

    def account_id(self, fields: dict) -> str:  # pragma: no cover - interface
        """The provider account a channel's credentials name (one per store while active)."""
        raise NotImplementedError


# Column sizes the events' ids go into (an authenticated payload may still carry nonsense).
MAX_PERSON_ID = 100
MAX_MESSAGE_ID = 200


def check_sizes(events: list[Event]) -> list[Event]:
    """Refuse (as malformed) events whose ids could not be stored."""
    for event in events:
        if isinstance(event, (InboundMessage, InboundEdit)):
            if not event.external_id or not event.external_chat_id or not event.contact.external_id:
                raise MalformedPayload("missing id")
            if (
                len(event.external_chat_id) > MAX_PERSON_ID
                or len(event.contact.external_id) > MAX_PERSON_ID
                or len(event.external_id) > MAX_MESSAGE_ID
            ):
                raise MalformedPayload("id too long")
        elif isinstance(event, StatusUpdate) and (not event.external_id or len(event.external_id) > MAX_MESSAGE_ID):
            raise MalformedPayload("status id")
    return events
