"""Messenger channels, the people who write through them, their chats and messages.

Document 002 mapping (`/api/chats`):

| model / field                        | 002                                                      |
| ------------------------------------ | -------------------------------------------------------- |
| Chat.id, name, status, unread_count  | id, name, status (open, closed), unreadCount             |
| Chat.kind                            | channel (`whatsapp`, `telegram`)                         |
| Chat.clients (ChatClient)            | organizationClients[] (the client shape of 002's top)    |
| Chat.last_message                    | lastMessage                                              |
| Customer.whatsapp_jid / telegram_... | whatsappJid / telegramUserId, set when a chat creates or |
|                                      | links the client                                         |

Who is who: a `MessengerIdentity` is one person on one messenger in one store (a WhatsApp JID, a
Telegram user id) and points at the customer that person is. It is unique per store, so two first
messages from one person at the same moment make one identity, hence one client: the database
refuses the second insert, and the loser reads the winner's row (`savdo.messaging.inbound`).
"""

import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from savdo.core.models import TenantOwned, TimeStamped
from savdo.messaging import sealed
from savdo.messaging.choices import (
    ChannelKind,
    ChannelStatus,
    ChatStatus,
    ClientLink,
    DeliveryEventSource,
    DeliveryStatus,
    Direction,
    MessageKind,
    Provider,
    WebhookStatus,
)


class Channel(TenantOwned, TimeStamped):
    """A messenger account a store connected: a Telegram bot, a WhatsApp Cloud number, or a WhatsApp
    number behind a self-hosted Evolution API gateway.

    The provider posts to `/api/webhooks/<provider>/<webhook_key>`: the key is random and unique,
    and finds the channel (hence the store) before anything else; the provider's signature or
    secret then authenticates the post. Credentials (tokens, app secret, the generated webhook
    secret) are stored sealed (`savdo.messaging.sealed`) in `secret_credentials` and never shown
    after the channel is created. `account_id` names the provider account (bot id, phone number
    id, gateway instance): a store connects one account once.
    """

    data_scope = "messaging"  # read caches: savdo/core/versions.py

    kind = models.CharField(_("messenger"), max_length=16, choices=ChannelKind.choices)
    provider = models.CharField(_("provider"), max_length=20, choices=Provider.choices)
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=ChannelStatus.choices, default=ChannelStatus.ACTIVE)
    webhook_key = models.CharField(_("webhook key"), max_length=64, unique=True, editable=False)
    webhook_url = models.CharField(_("webhook URL"), max_length=500, blank=True, default="")
    webhook_status = models.CharField(
        _("webhook status"), max_length=16, choices=WebhookStatus.choices, default=WebhookStatus.PENDING
    )
    webhook_error = models.CharField(_("webhook error"), max_length=500, blank=True, default="")
    webhook_checked_at = models.DateTimeField(_("webhook checked at"), null=True, blank=True)
    account_id = models.CharField(_("account"), max_length=300)
    # Not secret, shown on the channel: WhatsApp Cloud's phone number id; Evolution's gateway URL
    # and instance.
    phone_number_id = models.CharField(_("phone number id"), max_length=64, blank=True, default="")
    api_url = models.CharField(_("gateway URL"), max_length=300, blank=True, default="")
    instance = models.CharField(_("instance"), max_length=100, blank=True, default="")
    secret_credentials = models.TextField(_("sealed credentials"), blank=True, default="", editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disconnected_at = models.DateTimeField(_("disconnected at"), null=True, blank=True)

    class Meta:
        verbose_name = _("messenger channel")
        verbose_name_plural = _("messenger channels")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "provider", "account_id"],
                condition=Q(status="active"),
                name="messaging_channel_active_account_uniq",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="messaging_channel_tenant_idx")]

    def __str__(self) -> str:
        return self.name

    def credentials(self) -> dict:
        """The unsealed credentials (raises `sealed.Unsealable` if SECRET_KEY changed)."""
        if not self.secret_credentials:
            return {}
        return json.loads(sealed.unseal(self.secret_credentials))

    def set_credentials(self, values: dict) -> None:
        self.secret_credentials = sealed.seal(json.dumps(values, separators=(",", ":"))) if values else ""


class MessengerIdentity(TenantOwned):
    """One person on one messenger in one store: a WhatsApp JID (`79001234567@s.whatsapp.net`) or
    a Telegram user id (beyond 32 bits, kept as text), and the customer that person is.

    Unique per store and messenger: the guarantee that simultaneous first messages from one person
    make one client. `customer` is empty only after the client was deleted or unlinked by hand;
    the next new chat of that person then finds or creates a client again.
    """

    data_scope = "messaging"  # read caches: savdo/core/versions.py

    kind = models.CharField(_("messenger"), max_length=16, choices=ChannelKind.choices)
    external_id = models.CharField(_("messenger id"), max_length=100)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="messenger_identities"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("messenger identity")
        verbose_name_plural = _("messenger identities")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "external_id"], name="messaging_identity_tenant_kind_external_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.external_id}"


class ChatClient(TenantOwned):
    """A client shown on a chat (002 `organizationClients[]`): linked when the chat was created, or
    by hand."""

    data_scope = "messaging"  # read caches: savdo/core/versions.py

    chat = models.ForeignKey("messaging.Chat", on_delete=models.CASCADE, related_name="client_links")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="chat_links")
    link = models.CharField(_("linked"), max_length=8, choices=ClientLink.choices, default=ClientLink.AUTO)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("chat client")
        verbose_name_plural = _("chat clients")
        constraints = [models.UniqueConstraint(fields=["chat", "customer"], name="messaging_chat_client_uniq")]
        indexes = [models.Index(fields=["customer"], name="messaging_chat_client_cust_idx")]


class Chat(TenantOwned, TimeStamped):
    """A conversation with one person through one channel (002 `chats[]`).

    `external_chat_id` is the provider's chat (Telegram chat id, WhatsApp JID): unique per channel.
    `unread_count`, `last_message` and `last_message_at` are kept by the services that store
    messages (F() updates, so concurrent messages add up). `search_text` folds the name, username
    and phone digits for `?search=`.
    """

    data_scope = "messaging"  # read caches: savdo/core/versions.py

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="chats")
    kind = models.CharField(_("messenger"), max_length=16, choices=ChannelKind.choices)
    external_chat_id = models.CharField(_("provider chat id"), max_length=100)
    identity = models.ForeignKey(MessengerIdentity, on_delete=models.PROTECT, related_name="chats")
    name = models.CharField(_("name"), max_length=255, blank=True, default="")
    username = models.CharField(_("username"), max_length=100, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=20, blank=True, default="")
    status = models.CharField(_("status"), max_length=8, choices=ChatStatus.choices, default=ChatStatus.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    unread_count = models.PositiveIntegerField(_("unread"), default=0)
    last_message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_message_at = models.DateTimeField(_("last message at"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    clients = models.ManyToManyField("customers.Customer", through=ChatClient, related_name="chats", blank=True)
    search_text = models.TextField(blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_chat_id"], name="messaging_chat_channel_external_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-last_message_at", "-id"], name="messaging_chat_tenant_last_idx"),
            models.Index(fields=["tenant", "status", "-last_message_at", "-id"], name="messaging_chat_status_idx"),
            models.Index(fields=["tenant", "assigned_to", "-last_message_at"], name="messaging_chat_tenant_asg_idx"),
        ]

    def __str__(self) -> str:
        return self.name or self.external_chat_id


class Message(TenantOwned):
    """One message of a chat, either way.

    Inbound: `external_id` is the provider's message id (unique per chat and direction: a
    provider's repeated delivery stores nothing new), `status` is `received`. Outbound: stored
    `queued` at once, sent after the commit by the channel's adapter; `status` then follows the
    delivery state machine (`choices.DELIVERY_TRANSITIONS`) through send attempts and the
    provider's status callbacks, `external_id` is the id the provider gave it.
    """

    data_scope = "messaging"  # read caches: savdo/core/versions.py

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    kind = models.CharField(_("type"), max_length=16, choices=MessageKind.choices, default=MessageKind.TEXT)
    text = models.TextField(_("text"), blank=True, default="")
    media = models.JSONField(_("media"), blank=True, default=dict)
    external_id = models.CharField(_("provider message id"), max_length=200, blank=True, default="")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED
    )
    attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True, default="")
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["chat", "direction", "external_id"],
                condition=~Q(external_id=""),
                name="messaging_message_external_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["chat", "-id"], name="messaging_message_chat_idx"),
            models.Index(fields=["tenant", "external_id"], name="messaging_message_external_idx"),
            models.Index(fields=["next_attempt_at"], condition=Q(status="queued"), name="messaging_message_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.kind} #{self.pk}"


class DeliveryEvent(TenantOwned):
    """What happened to an outbound message: each send attempt (its outcome and error), and each
    status callback of the provider (`sent`, `delivered`, `read`, `failed`).

    A callback that names a message we have not recorded a provider id for yet (it can overtake
    our own send's answer) is kept without `message` and applied when the send records that id.
    A repeated callback (same message id and status) stores nothing new.
    """

    data_scope = "messaging"  # read caches: savdo/core/versions.py

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    source = models.CharField(_("source"), max_length=10, choices=DeliveryEventSource.choices)
    external_id = models.CharField(_("provider message id"), max_length=200, blank=True, default="")
    status = models.CharField(_("status"), max_length=16, choices=DeliveryStatus.choices)
    attempt = models.PositiveSmallIntegerField(_("attempt"), null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True, default="")
    occurred_at = models.DateTimeField(_("occurred at"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("delivery event")
        verbose_name_plural = _("delivery events")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id", "status"],
                condition=Q(source="callback"),
                name="messaging_delivery_callback_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["message", "id"], name="messaging_delivery_message_idx"),
            models.Index(
                fields=["channel", "external_id"],
                condition=Q(message__isnull=True),
                name="messaging_delivery_pending_idx",
            ),
        ]
