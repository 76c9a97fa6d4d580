"""The messaging vocabularies, and the state machines of chats and outbound deliveries (their
allowed moves live here and only here)."""

from django.db import models
from django.utils.translation import pgettext_lazy


class ChannelKind(models.TextChoices):
    """The messenger a channel speaks (document 002's `channel`)."""

    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"


class Provider(models.TextChoices):
    """Who carries a channel's messages: each has its own adapter in `savdo.messaging.providers`."""

    TELEGRAM = "telegram", "Telegram Bot API"
    WHATSAPP_CLOUD = "whatsapp_cloud", "WhatsApp Cloud API"
    EVOLUTION = "evolution", "Evolution API"


# Which providers may carry which messenger.
PROVIDER_KIND = {
    Provider.TELEGRAM: ChannelKind.TELEGRAM,
    Provider.WHATSAPP_CLOUD: ChannelKind.WHATSAPP,
    Provider.EVOLUTION: ChannelKind.WHATSAPP,
}


class ChannelStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("channel status", "Active")
    DISCONNECTED = "disconnected", pgettext_lazy("channel status", "Disconnected")


class WebhookStatus(models.TextChoices):
    """Where registering our webhook with the provider stands (shown on the channel)."""

    PENDING = "pending", pgettext_lazy("webhook status", "Pending")
    REGISTERED = "registered", pgettext_lazy("webhook status", "Registered")
    # The provider has no API for it (Meta's dashboard): the owner pastes the URL and token there;
    # the provider's verification handshake then makes it `verified`.
    MANUAL = "manual", pgettext_lazy("webhook status", "Set up by hand")
    VERIFIED = "verified", pgettext_lazy("webhook status", "Verified")
    FAILED = "failed", pgettext_lazy("webhook status", "Failed")


class ChatStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("chat status", "Open")
    CLOSED = "closed", pgettext_lazy("chat status", "Closed")


# A chat's allowed moves. An inbound message reopens a closed chat (the customer wrote again).
CHAT_TRANSITIONS = {
    ChatStatus.OPEN: frozenset({ChatStatus.CLOSED}),
    ChatStatus.CLOSED: frozenset({ChatStatus.OPEN}),
}


class Direction(models.TextChoices):
    INBOUND = "in", pgettext_lazy("message direction", "Inbound")
    OUTBOUND = "out", pgettext_lazy("message direction", "Outbound")


class MessageKind(models.TextChoices):
    TEXT = "text", pgettext_lazy("message kind", "Text")
    PHOTO = "photo", pgettext_lazy("message kind", "Photo")
    VIDEO = "video", pgettext_lazy("message kind", "Video")
    AUDIO = "audio", pgettext_lazy("message kind", "Audio")
    VOICE = "voice", pgettext_lazy("message kind", "Voice message")
    DOCUMENT = "document", pgettext_lazy("message kind", "Document")
    STICKER = "sticker", pgettext_lazy("message kind", "Sticker")
    LOCATION = "location", pgettext_lazy("message kind", "Location")
    CONTACT = "contact", pgettext_lazy("message kind", "Contact")
    OTHER = "other", pgettext_lazy("message kind", "Other")


class DeliveryStatus(models.TextChoices):
    """An outbound message's delivery; inbound messages are `received`."""

    RECEIVED = "received", pgettext_lazy("delivery status", "Received")
    QUEUED = "queued", pgettext_lazy("delivery status", "Queued")
    SENT = "sent", pgettext_lazy("delivery status", "Sent")
    DELIVERED = "delivered", pgettext_lazy("delivery status", "Delivered")
    READ = "read", pgettext_lazy("delivery status", "Read")
    FAILED = "failed", pgettext_lazy("delivery status", "Failed")


# An outbound message's allowed moves. Status callbacks may skip a step (a `delivered` can arrive
# before our own `sent` is recorded) but never go back; `failed` is final.
DELIVERY_TRANSITIONS = {
    DeliveryStatus.QUEUED: frozenset(
        {DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ, DeliveryStatus.FAILED}
    ),
    DeliveryStatus.SENT: frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.READ, DeliveryStatus.FAILED}),
    DeliveryStatus.DELIVERED: frozenset({DeliveryStatus.READ}),
    DeliveryStatus.READ: frozenset(),
    DeliveryStatus.FAILED: frozenset(),
    DeliveryStatus.RECEIVED: frozenset(),
}


def delivery_sources(target: str) -> list[str]:
    """The statuses a message may move to `target` from (for conditional UPDATEs)."""
    return [source for source, targets in DELIVERY_TRANSITIONS.items() if target in targets]


class DeliveryEventSource(models.TextChoices):
    ATTEMPT = "attempt", pgettext_lazy("delivery event source", "Send attempt")
    CALLBACK = "callback", pgettext_lazy("delivery event source", "Provider status callback")


class ClientLink(models.TextChoices):
    """How a client came to be linked to a chat."""

    AUTO = "auto", pgettext_lazy("chat client link", "Automatic")
    MANUAL = "manual", pgettext_lazy("chat client link", "By hand")
