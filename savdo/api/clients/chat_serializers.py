"""Document 002's chat shapes (camelCase): channels, chats with `organizationClients`, messages.

Request shapes and formats only; the rules (which provider carries which messenger, what a chat's
state allows, who may be assigned) live in `savdo.messaging.services`.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from savdo.accounts.models import User
from savdo.api.clients.serializers import ChatClientSerializer, iso_utc, manager_body
from savdo.api.fields import TenantPrimaryKeyRelatedField
from savdo.customers.models import Customer
from savdo.messaging.choices import ChannelKind, DeliveryStatus, MessageKind, Provider
from savdo.messaging.constants import MAX_TEXT_LENGTH
from savdo.messaging.models import Channel, Chat, Message
from savdo.tenancy.roles import SUPPORT_STAFF

# Domain field names -> this surface's names, for errors raised by the services.
FIELD_NAMES = {
    "kind": "channel",
    "bot_token": "botToken",
    "app_secret": "appSecret",
    "verify_token": "verifyToken",
    "access_token": "accessToken",
    "phone_number_id": "phoneNumberId",
    "api_url": "apiUrl",
    "api_key": "apiKey",
    "account_id": "account",
    "assigned_to": "userId",
    "customer": "clientId",
}
BOT_TOKEN = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$")
SECRET_FIELD = {"write_only": True, "required": False, "allow_blank": False, "trim_whitespace": True}


class UtcDateTimeField(serializers.DateTimeField):
    """A timestamp as document 002 writes them: `2025-01-15T08:30:00.000Z`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return iso_utc(value)


class PublicBaseUrlDefault:
    """The absolute base of our webhook URLs: `settings.SAVDO_PUBLIC_URL` if set (behind a proxy
    that rewrites hosts), else the scheme and host the request came to."""

    requires_context = True

    def __call__(self, serializer_field) -> str:
        configured = getattr(settings, "SAVDO_PUBLIC_URL", "")
        if configured:
            return configured.rstrip("/")
        return serializer_field.context["request"].build_absolute_uri("/").rstrip("/")


# --- channels ----------------------------------------------------------------------------------


class ChannelSerializer(serializers.ModelSerializer):
    """A connected messenger account as the store sees it: never its tokens or secrets
    (`webhookSecret` appears once, in the answer to the POST that created the channel)."""

    channel = serializers.CharField(source="kind", read_only=True, help_text="whatsapp, telegram")
    provider = serializers.CharField(read_only=True, help_text="telegram, whatsapp_cloud, evolution")
    status = serializers.CharField(read_only=True, help_text="active, disconnected")
    webhookUrl = serializers.CharField(source="webhook_url", read_only=True)
    webhookStatus = serializers.CharField(
        source="webhook_status", read_only=True, help_text="pending, registered, manual, verified, failed"
    )
    webhookError = serializers.SerializerMethodField()
    webhookCheckedAt = UtcDateTimeField(source="webhook_checked_at", read_only=True, allow_null=True)
    phoneNumberId = serializers.SerializerMethodField()
    apiUrl = serializers.SerializerMethodField()
    instance = serializers.SerializerMethodField()
    botId = serializers.SerializerMethodField()
    createdAt = UtcDateTimeField(source="created_at", read_only=True)
    updatedAt = UtcDateTimeField(source="updated_at", read_only=True)
    disconnectedAt = UtcDateTimeField(source="disconnected_at", read_only=True, allow_null=True)

    class Meta:
        model = Channel
        fields = [
            "id",
            "channel",
            "provider",
            "name",
            "status",
            "webhookUrl",
            "webhookStatus",
            "webhookError",
            "webhookCheckedAt",
            "phoneNumberId",
            "apiUrl",
            "instance",
            "botId",
            "createdAt",
            "updatedAt",
            "disconnectedAt",
        ]
        read_only_fields = fields

    def get_webhookError(self, obj) -> str | None:
        return obj.webhook_error or None

    def get_phoneNumberId(self, obj) -> str | None:
        return obj.phone_number_id or None

    def get_apiUrl(self, obj) -> str | None:
        return obj.api_url or None

    def get_instance(self, obj) -> str | None:
        return obj.instance or None

    def get_botId(self, obj) -> str | None:
        return obj.account_id if obj.provider == Provider.TELEGRAM else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        issued = getattr(instance, "issued_webhook_secret", None)
        if issued is not None:
            data["webhookSecret"] = issued
        return data


class ChannelInputSerializer(serializers.Serializer):
    """The provider's credentials (write-only: never rendered). The answer is `ChannelSerializer`."""

    botToken = serializers.CharField(source="bot_token", max_length=200, **SECRET_FIELD)
    appSecret = serializers.CharField(source="app_secret", max_length=200, **SECRET_FIELD)
    verifyToken = serializers.CharField(source="verify_token", max_length=200, **SECRET_FIELD)
    accessToken = serializers.CharField(source="access_token", max_length=1000, **SECRET_FIELD)
    phoneNumberId = serializers.RegexField(
        r"^[0-9]{1,30}$", source="phone_number_id", required=False, write_only=True, max_length=30
    )
    apiUrl = serializers.CharField(source="api_url", required=False, write_only=True, max_length=300)
    apiKey = serializers.CharField(source="api_key", max_length=500, **SECRET_FIELD)
    instance = serializers.RegexField(r"^[A-Za-z0-9_.\-]{1,100}$", required=False, write_only=True, max_length=100)

    def validate_botToken(self, value: str) -> str:
        if not BOT_TOKEN.match(value):
            raise serializers.ValidationError(_("Enter the bot token BotFather gave (digits:letters)."))
        return value

    def validate_apiUrl(self, value: str) -> str:
        """An http(s) URL; a single-label host (`http://evolution:8080`, a gateway beside us in the
        same network) is fine."""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise serializers.ValidationError(_("Enter an http or https URL."))
        try:
            parts.port  # noqa: B018 - raises for a port out of range
        except ValueError as exc:
            raise serializers.ValidationError(_("Enter an http or https URL.")) from exc
        return value

    def to_representation(self, instance):
        return ChannelSerializer(instance, context=self.context).data


class ChannelCreateSerializer(ChannelInputSerializer):
    """`POST /api/chats/channels {channel, provider, name, ...the provider's credentials}`."""

    channel = serializers.ChoiceField(source="kind", choices=ChannelKind.choices)
    provider = serializers.ChoiceField(choices=Provider.choices)
    name = serializers.CharField(max_length=200, trim_whitespace=True)
    webhook_base_url = serializers.HiddenField(default=PublicBaseUrlDefault())


class ChannelUpdateSerializer(ChannelInputSerializer):
    """`PUT|PATCH /api/chats/channels/:id {name?, ...credentials to replace}` (a channel's messenger
    and provider do not change: connect another one instead)."""

    name = serializers.CharField(max_length=200, trim_whitespace=True, required=False)


# --- chats -------------------------------------------------------------------------------------


class ChatMessageSerializer(serializers.ModelSerializer):
    """A message of a chat. `direction` is `in` (from the customer) or `out` (our reply);
    `status`: `received` for inbound, `queued`, `sent`, `delivered`, `read` or `failed` for replies."""

    chatId = serializers.IntegerField(source="chat_id", read_only=True)
    direction = serializers.CharField(read_only=True, help_text="in, out")
    type = serializers.CharField(source="kind", read_only=True, help_text=", ".join(MessageKind.values))
    status = serializers.CharField(read_only=True, help_text=", ".join(DeliveryStatus.values))
    externalId = serializers.SerializerMethodField()
    sender = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()
    sentAt = UtcDateTimeField(source="sent_at", read_only=True, allow_null=True)
    editedAt = UtcDateTimeField(source="edited_at", read_only=True, allow_null=True)
    createdAt = UtcDateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "chatId",
            "direction",
            "type",
            "text",
            "media",
            "status",
            "externalId",
            "sender",
            "attempts",
            "error",
            "sentAt",
            "editedAt",
            "createdAt",
        ]
        read_only_fields = fields

    def get_externalId(self, obj) -> str | None:
        return obj.external_id or None

    def get_sender(self, obj) -> dict | None:
        return manager_body(obj.sender) if obj.sender_id else None

    def get_error(self, obj) -> str | None:
        return obj.last_error or None if obj.status in (DeliveryStatus.FAILED, DeliveryStatus.QUEUED) else None


class LastMessageSerializer(ChatMessageSerializer):
    """`lastMessage` on a chat row (no sender: a list row does not load users per message)."""

    class Meta(ChatMessageSerializer.Meta):
        fields = ["id", "direction", "type", "text", "status", "sentAt", "createdAt"]
        read_only_fields = fields


class ChatSerializer(serializers.ModelSerializer):
    """A chat in document 002's shape: `id, name, channel, status, unreadCount,
    organizationClients, lastMessage`, and what a chat screen needs besides."""

    channel = serializers.CharField(source="kind", read_only=True, help_text="whatsapp, telegram")
    channelId = serializers.IntegerField(source="channel_id", read_only=True)
    status = serializers.CharField(read_only=True, help_text="open, closed")
    provider = serializers.CharField(source="channel.provider", read_only=True)
    unreadCount = serializers.IntegerField(source="unread_count", read_only=True)
    organizationClients = ChatClientSerializer(source="clients", many=True, read_only=True)
    lastMessage = LastMessageSerializer(source="last_message", read_only=True, allow_null=True)
    lastMessageAt = UtcDateTimeField(source="last_message_at", read_only=True)
    contact = serializers.SerializerMethodField()
    assignedUserId = serializers.IntegerField(source="assigned_to_id", read_only=True, allow_null=True)
    assignedUser = serializers.SerializerMethodField()
    closedAt = UtcDateTimeField(source="closed_at", read_only=True, allow_null=True)
    createdAt = UtcDateTimeField(source="created_at", read_only=True)
    updatedAt = UtcDateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = Chat
        fields = [
            "id",
            "name",
            "channel",
            "channelId",
            "provider",
            "status",
            "unreadCount",
            "organizationClients",
            "lastMessage",
            "lastMessageAt",
            "contact",
            "assignedUserId",
            "assignedUser",
            "closedAt",
            "createdAt",
            "updatedAt",
        ]
        read_only_fields = fields

    def get_contact(self, obj) -> dict:
        """Who the chat is with, as the messenger knows them."""
        return {"externalId": obj.external_chat_id, "username": obj.username or None, "phone": obj.phone or None}

    def get_assignedUser(self, obj) -> dict | None:
        return manager_body(obj.assigned_to) if obj.assigned_to_id else None


class PaginationSerializer(serializers.Serializer):
    """`pagination` of a list (schema only)."""

    page = serializers.IntegerField()
    limit = serializers.IntegerField()
    total = serializers.IntegerField()
    totalPages = serializers.IntegerField()


class ReplySerializer(serializers.Serializer):
    """`POST /api/chats/:id/messages {text}`."""

    text = serializers.CharField(max_length=MAX_TEXT_LENGTH, trim_whitespace=True)


class ChatMemberField(TenantPrimaryKeyRelatedField):
    """A user id of an active member of the request's store who handles chats (one join: the
    membership that matches must be the same row for store, activity and role)."""

    def get_queryset(self):
        tenant = self.context.get("tenant")
        if tenant is None:
            return User.objects.none()
        return User.objects.filter(
            memberships__tenant=tenant, memberships__is_active=True, memberships__role__in=SUPPORT_STAFF
        )


class AssignSerializer(serializers.Serializer):
    """`POST /api/chats/:id/assign {userId}` (null: nobody)."""

    userId = ChatMemberField(User, source="assigned_to", allow_null=True)


class LinkClientSerializer(serializers.Serializer):
    """`POST /api/chats/:id/clients {clientId}`."""

    clientId = TenantPrimaryKeyRelatedField(Customer, source="customer")
