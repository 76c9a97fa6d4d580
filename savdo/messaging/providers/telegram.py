"""Telegram Bot API: `Update` objects posted to our webhook, authenticated by the
`X-Telegram-Bot-Api-Secret-Token` header (the `secret_token` we gave `setWebhook`).

Only private chats with people become chats: groups, supergroups and channels are skipped, and so
is anything a bot sent (our own messages never come back as updates, but a bot's do, through
business connections). User and chat ids exceed 32 bits: they are kept as text. Telegram reports no
delivery statuses: a reply is `sent` once the Bot API accepted it, `failed` if it refused (e.g. the
person blocked the bot).
"""

from typing import Any

from django.conf import settings

from savdo.messaging.choices import ChannelKind, MessageKind, Provider, WebhookStatus
from savdo.messaging.constants import DEFAULT_TELEGRAM_API_URL
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
    as_dict,
    clip,
    http_json,
    retryable_status,
    secrets_equal,
    timestamp,
)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "edited_message"]
MEDIA_KINDS = (
    ("photo", MessageKind.PHOTO),
    ("video", MessageKind.VIDEO),
    ("voice", MessageKind.VOICE),
    ("audio", MessageKind.AUDIO),
    ("document", MessageKind.DOCUMENT),
    ("sticker", MessageKind.STICKER),
    ("location", MessageKind.LOCATION),
    ("contact", MessageKind.CONTACT),
)


def api_url() -> str:
    return getattr(settings, "SAVDO_TELEGRAM_API_URL", "") or DEFAULT_TELEGRAM_API_URL


def bot_id(token: str) -> str:
    """A bot token is `<bot id>:<secret>`; the id is the account."""
    return token.split(":", 1)[0]


def _contact(sender: dict, message: dict) -> Contact:
    name = " ".join(p for p in (clip(sender.get("first_name")), clip(sender.get("last_name"))) if p)
    phone = ""
    shared = message.get("contact")
    # A person sharing their own contact card tells us their number.
    if isinstance(shared, dict) and shared.get("user_id") == sender.get("id") and shared.get("phone_number"):
        digits = "".join(ch for ch in str(shared["phone_number"]) if ch.isdigit())
        phone = f"+{digits}" if digits else ""
    return Contact(
        external_id=str(sender["id"]), name=clip(name), username=clip(sender.get("username"), 100), phone=phone
    )


def _content(message: dict) -> tuple[str, str, dict]:
    """(kind, text, media) of a message."""
    if isinstance(message.get("text"), str):
        return MessageKind.TEXT, message["text"], {}
    caption = message.get("caption") if isinstance(message.get("caption"), str) else ""
    for key, kind in MEDIA_KINDS:
        value = message.get(key)
        if not value:
            continue
        if key == "photo":
            sizes = [size for size in value if isinstance(size, dict)] if isinstance(value, list) else []
            largest = max(sizes, key=lambda size: size.get("width", 0) * size.get("height", 0), default={})
            media = {k: largest[k] for k in ("file_id", "file_unique_id", "width", "height") if k in largest}
        elif key == "location" and isinstance(value, dict):
            media = {"latitude": value.get("latitude"), "longitude": value.get("longitude")}
        elif key == "contact" and isinstance(value, dict):
            media = {"phone": value.get("phone_number"), "name": clip(value.get("first_name"))}
        elif isinstance(value, dict):
            media = {k: value[k] for k in ("file_id", "file_unique_id", "mime_type", "file_name") if k in value}
            if key == "sticker" and not caption:
                caption = value.get("emoji") or ""
        else:
            media = {}
        return kind, caption, media
    return MessageKind.OTHER, caption, {}


class TelegramAdapter(Adapter):
    provider = Provider.TELEGRAM
    kind = ChannelKind.TELEGRAM

    def account_id(self, fields: dict) -> str:
        return bot_id(fields["bot_token"])

    def authenticate(self, channel, credentials: dict, headers, body: bytes) -> None:
        given = headers.get(SECRET_HEADER)
        if not given:
            raise MissingSignature(SECRET_HEADER)
        if not secrets_equal(given, credentials.get("webhook_secret", "")):
            raise BadSignature(SECRET_HEADER)

    def parse(self, channel, payload: Any) -> list[Event]:
        update = as_dict(payload)
        if not isinstance(update.get("update_id"), int):
            raise MalformedPayload("update_id")
        if "message" in update:
            return [self._message(channel, as_dict(update["message"]), edited=False)]
        if "edited_message" in update:
            return [self._message(channel, as_dict(update["edited_message"]), edited=True)]
        if "channel_post" in update or "edited_channel_post" in update:
            return [Skipped("group")]
        return [Skipped("unsupported")]

    def _message(self, channel, message: dict, *, edited: bool) -> Event:
        chat = as_dict(message.get("chat"))
        if chat.get("type") != "private":
            return Skipped("group")
        sender = message.get("from")
        if not isinstance(sender, dict) or not isinstance(sender.get("id"), int):
            raise MalformedPayload("from")
        if sender.get("is_bot") or str(sender["id"]) == channel.account_id:
            return Skipped("echo")
        if not isinstance(message.get("message_id"), int) or not isinstance(chat.get("id"), int):
            raise MalformedPayload("message_id")
        contact = _contact(sender, message)
        kind, text, media = _content(message)
        if edited:
            return InboundEdit(
                external_chat_id=str(chat["id"]),
                external_id=str(message["message_id"]),
                contact=contact,
                text=text,
                edited_at=timestamp(message.get("edit_date")),
            )
        return InboundMessage(
            external_chat_id=str(chat["id"]),
            external_id=str(message["message_id"]),
            contact=contact,
            kind=kind,
            text=text,
            media=media,
            sent_at=timestamp(message.get("date")),
        )

    def send_text(self, channel, credentials: dict, chat, text: str) -> str:
        chat_id: int | str = (
            int(chat.external_chat_id) if chat.external_chat_id.lstrip("-").isdigit() else chat.external_chat_id
        )
        status, body = http_json(
            "POST", f"{api_url()}/bot{credentials['bot_token']}/sendMessage", body={"chat_id": chat_id, "text": text}
        )
        body = body if isinstance(body, dict) else {}
        if status == 200 and body.get("ok") and isinstance(body.get("result"), dict):
            return str(body["result"].get("message_id", ""))
        detail = str(body.get("description") or f"HTTP {status}")
        raise SendFailed(detail, retryable=retryable_status(status), http_status=status)

    def register_webhook(self, channel, credentials: dict) -> Registration:
        status, body = http_json(
            "POST",
            f"{api_url()}/bot{credentials['bot_token']}/setWebhook",
            body={
                "url": channel.webhook_url,
                "secret_token": credentials["webhook_secret"],
                "allowed_updates": ALLOWED_UPDATES,
            },
        )
        body = body if isinstance(body, dict) else {}
        if status == 200 and body.get("ok"):
            return Registration(WebhookStatus.REGISTERED, str(body.get("description") or ""))
        return Registration(WebhookStatus.FAILED, str(body.get("description") or f"HTTP {status}"))
