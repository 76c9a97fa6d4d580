"""Reads of the messaging domain: channels, the chats list, a chat's messages, the webhook's channel."""

from django.db.models import Prefetch, QuerySet

from savdo.customers.models import Customer, search_fold
from savdo.customers.selectors import search_words
from savdo.messaging.choices import ChannelStatus
from savdo.messaging.models import Channel, Chat, ChatClient, Message


def channel_list(*, tenant) -> QuerySet:
    return Channel.objects.for_tenant(tenant).order_by("-created_at", "-id")


def channel_for_webhook(*, provider: str, key: str) -> Channel | None:
    """The active channel a webhook key names, if it belongs to `provider` (any store: the key is
    what finds the store). None for an unknown, disconnected or other provider's key."""
    return (
        Channel.objects.select_related("tenant")
        .filter(webhook_key=key, provider=provider, status=ChannelStatus.ACTIVE)
        .first()
    )


def chat_clients_prefetch() -> Prefetch:
    """The chat's clients in document 002's shape, with their tags (by client id)."""
    return Prefetch("clients", queryset=Customer.objects.prefetch_related("tags").order_by("id"))


def chat_list(*, tenant) -> QuerySet:
    """A store's chats, most recent conversation first, with everything a list row shows loaded in
    a constant number of queries."""
    return (
        Chat.objects.for_tenant(tenant)
        .select_related("channel", "last_message", "assigned_to")
        .prefetch_related(chat_clients_prefetch())
        .order_by("-last_message_at", "-id")
    )


def chat_search(queryset: QuerySet, term: str, *, tenant) -> QuerySet:
    """Chats where every word of `term` is in the chat's name, username or phone or in one of its
    clients' name, company, phone or e-mail (case- and ё-insensitive; a phone typed with spaces or
    dashes is one word of digits, as for customers)."""
    for word in search_words(term):
        # Ids from two searches, each served by a trigram index on PostgreSQL (the chat's own
        # `search_text`, its clients'), united: an OR of the two would scan every chat.
        own = Chat.objects.for_tenant(tenant).filter(search_text__contains=word).values("pk")
        linked = ChatClient.objects.for_tenant(tenant).filter(customer__search_text__contains=word).values("chat_id")
        queryset = queryset.filter(pk__in=own.union(linked))
    return queryset


def chat_messages(*, chat: Chat) -> QuerySet:
    """A chat's messages, newest first (the API pages from the newest and shows each page oldest
    first)."""
    return Message.objects.filter(chat=chat).select_related("sender").order_by("-id")


def chat_search_text(*, name: str, username: str, phone: str) -> str:
    """What `?search=` reads on a chat: its name, @username and phone digits, folded."""
    parts = [name, username, f"@{username}" if username else "", phone.lstrip("+")]
    return search_fold("\n".join(p for p in parts if p))
