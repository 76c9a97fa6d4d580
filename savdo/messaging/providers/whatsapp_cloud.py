"""WhatsApp Cloud API (Meta): the GET verification handshake (`hub.mode`, `hub.verify_token`,
`hub.challenge`), then `whatsapp_business_account` posts whose `entry[].changes[].value` carries
`messages[]` (with `contacts[].profile.name`) and `statuses[]`, authenticated by
`X-Hub-Signature-256`: `sha256=` + the HMAC-SHA256 of the raw body keyed with the app secret.

Skipped: group messages (`group_id`), echoes of what the business sent from its own app
(`smb_message_echoes`), reactions and system notices, and anything addressed to another phone
number of the same Meta app (`metadata.phone_number_id`). Meta's webhook is set in the app's
dashboard, not through an API: the channel shows `manual` until the handshake makes it `verified`.
"""

import hashlib
import hmac
from typing import Any

from django.conf import settings

from savdo.messaging.choices import ChannelKind, DeliveryStatus, MessageKind, Provider, WebhookStatus
from savdo.messaging.constants import DEFAULT_WHATSAPP_CLOUD_API_URL
from savdo.messaging.providers.base import (
    Adapter,
    BadSignature,
    Contact,
    Event,
    InboundEdit,
    InboundMessage,
    MalformedPayload,
    MissingSignature,
    Registration,
    SendFailed,
    Skipped,
    StatusUpdate,
    as_dict,
    as_list,
    clip,
    http_json,
    retryable_status,
    secrets_equal,
    timestamp,
)

SIGNATURE_HEADER = "X-Hub-Signature-256"
JID_DOMAIN = "@s.whatsapp.net"
STATUSES = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
}
MEDIA_KINDS = {
    "image": MessageKind.PHOTO,
    "video": MessageKind.VIDEO,
    "audio": MessageKind.AUDIO,
    "document": MessageKind.DOCUMENT,
    "sticker": MessageKind.STICKER,
}
SKIPPED_TYPES = frozenset({"reaction", "system", "request_welcome"})
# Graph API error codes worth another attempt (rate limits, temporary errors).
RETRYABLE_CODES = frozenset({1, 2, 4, 80007, 130429, 131016, 131056})
MANUAL_HINT = (
    "Meta sets webhooks in the app dashboard: WhatsApp > Configuration, callback URL = the webhook URL, "
    "verify token = the channel's verify token, subscribe to `messages`."
)


def api_url() -> str:
    return getattr(settings, "SAVDO_WHATSAPP_CLOUD_API_URL", "") or DEFAULT_WHATSAPP_CLOUD_API_URL


def signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def jid_for(wa_id: str) -> str:
    return f"{wa_id}{JID_DOMAIN}"


def _content(message: dict) -> tuple[str, str, dict]:
    kind_name = message.get("type")
    if kind_name == "text":
        return MessageKind.TEXT, str(as_dict(message.get("text")).get("body") or ""), {}
    if kind_name in MEDIA_KINDS:
        value = as_dict(message.get(kind_name))
        kind = MEDIA_KINDS[kind_name]
        if kind_name == "audio" and value.get("voice"):
            kind = MessageKind.VOICE
        media = {k: value[k] for k in ("id", "mime_type", "sha256", "filename") if k in value}
        return kind, str(value.get("caption") or ""), media
    if kind_name == "location":
        value = as_dict(message.get("location"))
        return (
            MessageKind.LOCATION,
            clip(value.get("name")),
            {
                "latitude": value.get("latitude"),
                "longitude": value.get("longitude"),
            },
        )
    if kind_name == "contacts":
        return MessageKind.CONTACT, "", {"contacts": as_list(message.get("contacts"))[:5]}
    if kind_name == "button":
        return MessageKind.TEXT, str(as_dict(message.get("button")).get("text") or ""), {}
    if kind_name == "interactive":
        reply = as_dict(message.get("interactive"))
        chosen = reply.get("button_reply") or reply.get("list_reply") or {}
        return MessageKind.TEXT, str(chosen.get("title") or "") if isinstance(chosen, dict) else "", {}
    return MessageKind.OTHER, "", {}


class WhatsAppCloudAdapter(Adapter):
    provider = Provider.WHATSAPP_CLOUD
    kind = ChannelKind.WHATSAPP
    supports_handshake = True

    def account_id(self, fields: dict) -> str:
        return str(fields["phone_number_id"])

    def authenticate(self, channel, credentials: dict, headers, body: bytes) -> None:
        given = headers.get(SIGNATURE_HEADER)
        if not given:
            raise MissingSignature(SIGNATURE_HEADER)
        if not secrets_equal(given.strip(), signature(credentials.get("app_secret", ""), body)):
            raise BadSignature(SIGNATURE_HEADER)

    def handshake(self, channel, credentials: dict, query) -> str:
        token = query.get("hub.verify_token")
        if not token:
            raise MissingSignature("hub.verify_token")
        if query.get("hub.mode") != "subscribe" or not secrets_equal(token, credentials.get("verify_token", "")):
            raise BadSignature("hub.verify_token")
        challenge = query.get("hub.challenge")
        if not challenge:
            raise MalformedPayload("hub.challenge")
        return challenge

    def parse(self, channel, payload: Any) -> list[Event]:
        body = as_dict(payload)
        if body.get("object") != "whatsapp_business_account":
            raise MalformedPayload("object")
        events: list[Event] = []
        for entry in as_list(body.get("entry")):
            for change in as_list(as_dict(entry).get("changes")):
                change = as_dict(change)
                value = as_dict(change.get("value"))
                field_name = change.get("field")
                if field_name == "smb_message_echoes":
                    events += [Skipped("echo") for _ in as_list(value.get("message_echoes"))] or [Skipped("echo")]
                    continue
                if field_name != "messages":
                    events.append(Skipped("unsupported"))
                    continue
                events += self._value(channel, value)
        return events

    def _value(self, channel, value: dict) -> list[Event]:
        messages = as_list(value.get("messages"))
        statuses = as_list(value.get("statuses"))
        number_id = str(as_dict(value.get("metadata") or {}).get("phone_number_id") or "")
        if number_id and number_id != channel.phone_number_id:
            return [Skipped("other_account") for _ in messages + statuses]
        names = {}
        for contact in as_list(value.get("contacts")):
            contact = as_dict(contact)
            names[str(contact.get("wa_id") or "")] = clip(as_dict(contact.get("profile") or {}).get("name"))
        events: list[Event] = [self._message(as_dict(m), names) for m in messages]
        events += [self._status(as_dict(s)) for s in statuses]
        return events

    def _message(self, message: dict, names: dict) -> Event:
        if message.get("group_id"):
            return Skipped("group")
        if message.get("type") in SKIPPED_TYPES:
            return Skipped("unsupported")
        sender = "".join(ch for ch in str(message.get("from") or "") if ch.isdigit())
        if not sender or not message.get("id"):
            raise MalformedPayload("from")
        name = names.get(sender) or (next(iter(names.values())) if len(names) == 1 else "")
        contact = Contact(external_id=jid_for(sender), name=name, phone=f"+{sender}")
        if message.get("type") == "edit":
            edit = as_dict(message.get("edit"))
            _, text, _ = _content(as_dict(edit.get("message")))
            return InboundEdit(
                external_chat_id=contact.external_id,
                external_id=str(edit.get("original_message_id") or ""),
                contact=contact,
                text=text,
                edited_at=timestamp(message.get("timestamp")),
            )
        kind, text, media = _content(message)
        return InboundMessage(
            external_chat_id=contact.external_id,
            external_id=str(message["id"]),
            contact=contact,
            kind=kind,
            text=text,
            media=media,
            sent_at=timestamp(message.get("timestamp")),
        )

    def _status(self, status: dict) -> Event:
        mapped = STATUSES.get(str(status.get("status")))
        if mapped is None or not status.get("id"):
            return Skipped("unsupported")
        detail = ""
        errors = status.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            error = errors[0]
            detail = f"{error.get('code', '')} {error.get('title') or error.get('message') or ''}".strip()
        return StatusUpdate(
            external_id=str(status["id"]), status=mapped, occurred_at=timestamp(status.get("timestamp")), detail=detail
        )

    def send_text(self, channel, credentials: dict, chat, text: str) -> str:
        to = chat.external_chat_id.split("@", 1)[0]
        status, body = http_json(
            "POST",
            f"{api_url()}/{channel.phone_number_id}/messages",
            body={
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "text",
                "text": {"preview_url": False, "body": text},
            },
            headers={"Authorization": f"Bearer {credentials['access_token']}"},
        )
        body = body if isinstance(body, dict) else {}
        sent = body.get("messages")
        if 200 <= status < 300 and isinstance(sent, list) and sent and isinstance(sent[0], dict) and sent[0].get("id"):
            return str(sent[0]["id"])
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        detail = f"{error.get('code', '')} {error.get('message') or f'HTTP {status}'}".strip()
        retryable = retryable_status(status) or error.get("code") in RETRYABLE_CODES
        raise SendFailed(detail, retryable=retryable, http_status=status)

    def register_webhook(self, channel, credentials: dict) -> Registration:
        return Registration(WebhookStatus.MANUAL, MANUAL_HINT)
