"""Messaging in the admin: read-mostly views for support (credentials are never shown)."""

from django.contrib import admin

from savdo.messaging.models import Channel, Chat, DeliveryEvent, Message, MessengerIdentity


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("id", "tenant", "name", "kind", "provider", "status", "webhook_status", "created_at")
    list_filter = ("kind", "provider", "status", "webhook_status")
    search_fields = ("name", "account_id")
    exclude = ("secret_credentials",)
    readonly_fields = ("webhook_key", "webhook_url", "account_id", "webhook_checked_at", "disconnected_at")
    raw_id_fields = ("tenant", "created_by")


@admin.register(MessengerIdentity)
class MessengerIdentityAdmin(admin.ModelAdmin):
    list_display = ("id", "tenant", "kind", "external_id", "customer", "created_at")
    list_filter = ("kind",)
    search_fields = ("external_id",)
    raw_id_fields = ("tenant", "customer")


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    list_display = ("id", "tenant", "name", "kind", "status", "unread_count", "last_message_at")
    list_filter = ("kind", "status")
    search_fields = ("name", "external_chat_id", "phone", "username")
    raw_id_fields = ("tenant", "channel", "identity", "last_message", "assigned_to")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "tenant", "chat", "direction", "kind", "status", "attempts", "created_at")
    list_filter = ("direction", "kind", "status")
    search_fields = ("external_id", "text")
    raw_id_fields = ("tenant", "chat", "sender")


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(admin.ModelAdmin):
    list_display = ("id", "tenant", "message", "source", "status", "attempt", "http_status", "occurred_at")
    list_filter = ("source", "status")
    raw_id_fields = ("tenant", "channel", "message")
