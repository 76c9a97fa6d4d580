"""Reads of the messaging domain: channels, the chats list, a chat's messages, the webhook's channel."""

from django.db.models import Prefetch, QuerySet

from savdo.core.phones import phone_search_digits
from savdo.customers.models import Customer, search_fold
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
    """Chats whose name, username or phone, or one of whose clients' name, phone or e-mail
    contains `term` (case- and ё-insensitive)."""
    folded = search_fold(term.strip())
    if not folded:
        return queryset
    # A phone typed as "+998 90 123" finds the digits "99890123" (how phones are folded).
    digits = phone_search_digits(term)
    terms = [folded] + ([digits] if digits and digits != folded else [])
    matching = None
    for word in terms:
        # Ids from two searches, each served by a trigram index on PostgreSQL (the chat's own
        # `search_text`, its clients'), united: an OR of the two would scan every chat.
        own = Chat.objects.for_tenant(tenant).filter(search_text__contains=word).values("pk")
        linked = ChatClient.objects.for_tenant(tenant).filter(customer__search_text__contains=word).values("chat_id")
        matching = own.union(linked) if matching is None else matching.union(own, linked)
    return queryset.filter(pk__in=matching)


def chat_messages(*, chat: Chat) -> QuerySet:
    """A chat's messages, newest first (the API pages from the newest and shows each page oldest
    first)."""
    return Message.objects.filter(chat=chat).select_related("sender").order_by("-id")


def chat_search_text(*, name: str, username: str, phone: str) -> str:
    """What `?search=` reads on a chat: its name, @username and phone digits, folded."""
    parts = [name, username, f"@{username}" if username else "", phone.lstrip("+")]
    return search_fold("\n".join(p for p in parts if p))
