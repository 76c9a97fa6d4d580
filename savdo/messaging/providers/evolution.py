"""Evolution API: a self-hosted WhatsApp gateway that small shops link to their number by scanning a
QR code. It posts `{event, instance, data}`; `messages.upsert` carries `data.key.remoteJid`
(`79001234567@s.whatsapp.net`, the form document 002 stores in `whatsappJid`), `data.key.fromMe`,
`data.key.id`, `data.pushName` and `data.message` (`conversation`, `extendedTextMessage`,
`imageMessage`, ...); `messages.update` carries delivery acks of our messages.

The gateway signs nothing, so the channel's generated `webhookSecret` is set as a custom header
(`X-Webhook-Secret`) in the gateway's webhook settings (done for the store by `register_webhook`,
`POST /webhook/set/<instance>`) and compared in constant time.

Skipped: groups (`@g.us`), broadcasts and status updates (`@broadcast`), our own messages
(`fromMe`: sent from the shop's phone or echoed back from our sends), reactions and revocations,
and events of another instance of the gateway.
"""

from typing import Any

from savdo.messaging.choices import ChannelKind, DeliveryStatus, MessageKind, Provider, WebhookStatus
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
    clip,
    http_json,
    retryable_status,
    secrets_equal,
    timestamp,
)

SECRET_HEADER = "X-Webhook-Secret"
PERSON_DOMAINS = ("@s.whatsapp.net", "@c.us")
WEBHOOK_EVENTS = ["MESSAGES_UPSERT", "MESSAGES_UPDATE"]
ACKS = {
    "SERVER_ACK": DeliveryStatus.SENT,
    "DELIVERY_ACK": DeliveryStatus.DELIVERED,
    "READ": DeliveryStatus.READ,
    "PLAYED": DeliveryStatus.READ,
    "ERROR": DeliveryStatus.FAILED,
    # Older gateways send Baileys' numeric acks.
    "0": DeliveryStatus.FAILED,
    "2": DeliveryStatus.SENT,
    "3": DeliveryStatus.DELIVERED,
    "4": DeliveryStatus.READ,
    "5": DeliveryStatus.READ,
}
MEDIA_KINDS = (
    ("imageMessage", MessageKind.PHOTO),
    ("videoMessage", MessageKind.VIDEO),
    ("audioMessage", MessageKind.AUDIO),
    ("documentMessage", MessageKind.DOCUMENT),
    ("documentWithCaptionMessage", MessageKind.DOCUMENT),
    ("stickerMessage", MessageKind.STICKER),
)
SKIPPED_KEYS = frozenset({"reactionMessage", "pollUpdateMessage", "senderKeyDistributionMessage"})


def event_name(raw: Any) -> str:
    """`MESSAGES_UPSERT` and `messages.upsert` are the same event (the gateway sends either)."""
    return str(raw or "").strip().lower().replace("_", ".")


def normalize_jid(jid: str) -> str:
    """A person's JID without a device suffix (`79001234567:12@s.whatsapp.net`)."""
    user, at, domain = jid.partition("@")
    return f"{user.split(':', 1)[0]}{at}{domain}"


def phone_of(jid: str) -> str:
    user, _, domain = jid.partition("@")
    if f"@{domain}" in PERSON_DOMAINS and user.isdigit():
        return f"+{user}"
    return ""


def _text_of(message: dict) -> str:
    if isinstance(message.get("conversation"), str):
        return message["conversation"]
    extended = message.get("extendedTextMessage")
    if isinstance(extended, dict) and isinstance(extended.get("text"), str):
        return extended["text"]
    return ""


def _content(message: dict) -> tuple[str, str, dict]:
    text = _text_of(message)
    if text or "conversation" in message or "extendedTextMessage" in message:
        return MessageKind.TEXT, text, {}
    for key, kind in MEDIA_KINDS:
        value = message.get(key)
        if not isinstance(value, dict):
            continue
        if key == "documentWithCaptionMessage":
            value = as_dict(as_dict(value.get("message") or {}).get("documentMessage") or {})
        if key == "audioMessage" and value.get("ptt"):
            kind = MessageKind.VOICE
        media = {k: value[k] for k in ("url", "mimetype", "fileName", "fileLength", "seconds") if k in value}
        return kind, str(value.get("caption") or ""), media
    location = message.get("locationMessage")
    if isinstance(location, dict):
        return (
            MessageKind.LOCATION,
            clip(location.get("name")),
            {
                "latitude": location.get("degreesLatitude"),
                "longitude": location.get("degreesLongitude"),
            },
        )
    contact = message.get("contactMessage")
    if isinstance(contact, dict):
        return MessageKind.CONTACT, clip(contact.get("displayName")), {"vcard": str(contact.get("vcard") or "")[:2000]}
    return MessageKind.OTHER, "", {}


def _edit_of(message: dict) -> tuple[str, str] | None:
    """(original message id, new text) if `message` is an edit, else None."""
    wrapper = message.get("editedMessage")
    if isinstance(wrapper, dict):
        message = as_dict(wrapper.get("message") or {})
    protocol = message.get("protocolMessage")
    if not isinstance(protocol, dict):
        return None
    if protocol.get("type") not in ("MESSAGE_EDIT", 14) and "editedMessage" not in protocol:
        return None
    original = as_dict(protocol.get("key") or {}).get("id")
    if not original:
        return None
    return str(original), _content(as_dict(protocol.get("editedMessage") or {}))[1]


class EvolutionAdapter(Adapter):
    provider = Provider.EVOLUTION
    kind = ChannelKind.WHATSAPP

    def account_id(self, fields: dict) -> str:
        return f"{fields['api_url'].rstrip('/')}#{fields['instance']}"

    def authenticate(self, channel, credentials: dict, headers, body: bytes) -> None:
        given = headers.get(SECRET_HEADER)
        if not given:
            raise MissingSignature(SECRET_HEADER)
        if not secrets_equal(given, credentials.get("webhook_secret", "")):
            raise BadSignature(SECRET_HEADER)

    def parse(self, channel, payload: Any) -> list[Event]:
        body = as_dict(payload)
        name = event_name(body.get("event"))
        if not name:
            raise MalformedPayload("event")
        instance = body.get("instance")
        if instance and channel.instance and str(instance) != channel.instance:
            return [Skipped("other_account")]
        data = body.get("data")
        items = data if isinstance(data, list) else [data]
        if name in ("messages.upsert", "messages.edited"):
            return [self._message(as_dict(item)) for item in items]
        if name == "messages.update":
            return [self._status(as_dict(item)) for item in items]
        return [Skipped("unsupported")]

    def _message(self, data: dict) -> Event:
        key = as_dict(data.get("key"))
        jid = str(key.get("remoteJid") or "")
        if not jid or not key.get("id"):
            raise MalformedPayload("key")
        if not jid.endswith(PERSON_DOMAINS) and not jid.endswith("@lid"):
            return Skipped("group")  # @g.us groups, @broadcast lists and status updates
        if key.get("fromMe"):
            return Skipped("echo")
        message = as_dict(data.get("message") or {})
        if not message or SKIPPED_KEYS.intersection(message):
            # no message at all: a stub event (a message the gateway could not decrypt, a call
            # notice), which would otherwise show as an empty unread message
            return Skipped("unsupported")
        jid = normalize_jid(jid)
        contact = Contact(external_id=jid, name=clip(data.get("pushName")), phone=phone_of(jid))
        edit = _edit_of(message)
        if edit is not None:
            original, text = edit
            return InboundEdit(
                external_chat_id=jid,
                external_id=original,
                contact=contact,
                text=text,
                edited_at=timestamp(data.get("messageTimestamp")),
            )
        if "protocolMessage" in message:  # revocations, ephemeral settings
            return Skipped("unsupported")
        kind, text, media = _content(message)
        return InboundMessage(
            external_chat_id=jid,
            external_id=str(key["id"]),
            contact=contact,
            kind=kind,
            text=text,
            media=media,
            sent_at=timestamp(data.get("messageTimestamp")),
        )

    def _status(self, data: dict) -> Event:
        key = data.get("key") if isinstance(data.get("key"), dict) else {}
        message_id = data.get("keyId") or key.get("id")
        from_me = data.get("fromMe", key.get("fromMe"))
        mapped = ACKS.get(str(data.get("status") or "").upper())
        if not message_id or mapped is None or from_me is False:
            return Skipped("unsupported")
        return StatusUpdate(external_id=str(message_id), status=mapped, occurred_at=None)

    def send_text(self, channel, credentials: dict, chat, text: str) -> str:
        jid = chat.external_chat_id
        number = jid.split("@", 1)[0] if jid.endswith(PERSON_DOMAINS) else jid
        status, body = http_json(
            "POST",
            f"{channel.api_url.rstrip('/')}/message/sendText/{channel.instance}",
            body={"number": number, "text": text},
            headers={"apikey": credentials["api_key"]},
        )
        body = body if isinstance(body, dict) else {}
        key = body.get("key")
        if 200 <= status < 300 and isinstance(key, dict) and key.get("id"):
            return str(key["id"])
        detail = _error_detail(body) or f"HTTP {status}"
        raise SendFailed(detail, retryable=retryable_status(status), http_status=status)

    def register_webhook(self, channel, credentials: dict) -> Registration:
        status, body = http_json(
            "POST",
            f"{channel.api_url.rstrip('/')}/webhook/set/{channel.instance}",
            body={
                "webhook": {
                    "enabled": True,
                    "url": channel.webhook_url,
                    "headers": {SECRET_HEADER: credentials["webhook_secret"]},
                    "byEvents": False,
                    "base64": False,
                    "events": WEBHOOK_EVENTS,
                }
            },
            headers={"apikey": credentials["api_key"]},
        )
        if 200 <= status < 300:
            return Registration(WebhookStatus.REGISTERED)
        return Registration(
            WebhookStatus.FAILED, _error_detail(body if isinstance(body, dict) else {}) or f"HTTP {status}"
        )


def _error_detail(body: dict) -> str:
    response = body.get("response")
    if isinstance(response, dict) and response.get("message"):
        return str(response["message"])[:500]
    for key in ("message", "error"):
        if body.get(key):
            return str(body[key])[:500]
    return ""
