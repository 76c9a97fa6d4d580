"""Factories of the messaging domain: chats with their person, client and messages, written
straight (the webhook tests cover how they come to be)."""

import itertools

from django.utils import timezone

from savdo.customers.models import Customer
from savdo.messaging.choices import ChannelKind, ClientLink, DeliveryStatus, Direction, Provider
from savdo.messaging.models import Chat, ChatClient, Message, MessengerIdentity
from tests.customers.factories import CustomerFactory, TagFactory
from tests.messaging.conftest import connect

_numbers = itertools.count(1)


def channel_for(tenant, provider=Provider.TELEGRAM):
    """The tenant's active channel of `provider`, connected once."""
    from savdo.messaging.models import Channel

    found = Channel.objects.filter(tenant=tenant, provider=provider, status="active").first()
    if found is not None:
        return found
    n = next(_numbers)
    if provider == Provider.TELEGRAM:
        return connect(tenant, provider, bot_token=f"7{n:09d}:AAHk3b2x9QwErTyUiOpAsDfGhJkLzXcVbNm")
    if provider == Provider.WHATSAPP_CLOUD:
        return connect(tenant, provider, phone_number_id=str(100000 + n))
    return connect(tenant, provider, instance=f"shop-{n}")


def make_chat(
    tenant,
    *,
    provider=Provider.TELEGRAM,
    name=None,
    customer: Customer | None = None,
    with_tag=True,
    messages: int = 1,
    **fields,
) -> Chat:
    """A chat of `tenant` with its person, a linked client (with a tag) and inbound messages."""
    channel = channel_for(tenant, provider)
    n = next(_numbers)
    kind = channel.kind
    external = f"99890{n:07d}@s.whatsapp.net" if kind == ChannelKind.WHATSAPP else str(7_000_000_000 + n)
    if customer is None:
        customer = CustomerFactory(
            tenant=tenant,
            **({"whatsapp_jid": external} if kind == ChannelKind.WHATSAPP else {"telegram_user_id": external}),
        )
        if with_tag:
            customer.tags.add(TagFactory(tenant=tenant))
    identity = MessengerIdentity.objects.create(tenant=tenant, kind=kind, external_id=external, customer=customer)
    chat = Chat.objects.create(
        tenant=tenant,
        channel=channel,
        kind=kind,
        external_chat_id=external,
        identity=identity,
        name=name or customer.full_name,
        search_text=(name or customer.full_name).lower(),
        **{"last_message_at": timezone.now(), **fields},
    )
    ChatClient.objects.create(tenant=tenant, chat=chat, customer=customer, link=ClientLink.AUTO)
    last = None
    for i in range(messages):
        last = Message.objects.create(
            tenant=tenant,
            chat=chat,
            direction=Direction.INBOUND,
            text=f"Сообщение {i + 1}",
            external_id=f"m{n}-{i}",
            status=DeliveryStatus.RECEIVED,
            sent_at=timezone.now(),
        )
    if last is not None:
        Chat.objects.filter(pk=chat.pk).update(last_message=last, unread_count=messages)
        chat.refresh_from_db()
    return chat
