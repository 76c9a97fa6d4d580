"""Inbound webhooks: a provider's authenticated payload, turned into events by its adapter, stored.

Everything is written into the store of the channel the webhook key named, and nowhere else: every
row below takes `channel.tenant_id`, and every lookup is narrowed to it.

Clients appear by themselves. The first message from a person the store does not know:
- finds the person's `MessengerIdentity` (store, messenger, JID or Telegram user id), or creates it
  together with a client (`source` whatsapp/telegram, status `potential`, name from the profile,
  phone from the WhatsApp number, `whatsappJid` or `telegramUserId`);
- but links, instead of creating, a customer the store already has: one whose `whatsappJid` /
  `telegramUserId` is this person's, else one with this phone number (whichever surface created
  them);
- then creates the chat and shows the client on it.

Two first messages from one person at the same moment still make one client: the identity is
unique per store, so the second insert fails (PostgreSQL makes it wait for the first transaction,
then refuses it); its savepoint drops the client it had created, and it reads the winner's identity.
A repeated delivery (the same message id in the same chat) is refused by the message's unique
constraint and stores nothing new.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, DateTimeField, F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from savdo.audit.models import ChangeAction
from savdo.audit.services import change_record, snapshot
from savdo.core.phones import normalize_phone
from savdo.customers.models import Customer, CustomerStatus
from savdo.customers.services import customer_create, customer_update
from savdo.messaging.choices import ChannelKind, ChatStatus, ClientLink, Direction, WebhookStatus
from savdo.messaging.constants import MAX_NAME_LENGTH
from savdo.messaging.delivery import delivery_status_record
from savdo.messaging.models import Channel, Chat, ChatClient, Message, MessengerIdentity
from savdo.messaging.providers.base import Contact, Event, InboundEdit, InboundMessage, Skipped, StatusUpdate
from savdo.messaging.selectors import chat_search_text

IDENTITY_ATTEMPTS = 4


@dataclass
class Outcome:
    """What a webhook delivery did, event by event (the webhook answers it)."""

    stored: int = 0
    duplicates: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"ok": True, "stored": self.stored, "duplicates": self.duplicates, "skipped": self.skipped}


def webhook_receive(*, channel: Channel, events: list[Event]) -> Outcome:
    """Store a delivery's events, each in its own transaction (a payload may carry several)."""
    outcome = Outcome()
    for event in events:
        if isinstance(event, Skipped):
            result = "skipped"
            outcome.reasons[event.reason] = outcome.reasons.get(event.reason, 0) + 1
        elif isinstance(event, InboundMessage):
            result = inbound_message_store(channel=channel, event=event)
        elif isinstance(event, InboundEdit):
            result = inbound_edit_apply(channel=channel, event=event)
        elif isinstance(event, StatusUpdate):
            result = delivery_status_record(channel=channel, update=event)
        else:  # pragma: no cover - adapters return only the events above
            raise TypeError(type(event).__name__)
        if result == "stored":
            outcome.stored += 1
        elif result == "duplicate":
            outcome.duplicates += 1
        else:
            outcome.skipped += 1
    return outcome


@transaction.atomic
def inbound_message_store(*, channel: Channel, event: InboundMessage) -> str:
    """Store one inbound message: its chat (and identity, client) first if new. Returns "stored",
    or "duplicate" for a message this chat already has."""
    chat = _chat_for(channel, event.external_chat_id, event.contact)
    received_at = timezone.now()
    try:
        with transaction.atomic():
            message = Message.objects.create(
                tenant_id=channel.tenant_id,
                chat=chat,
                direction=Direction.INBOUND,
                kind=event.kind,
                text=event.text,
                media=event.media,
                external_id=event.external_id,
                sent_at=event.sent_at or received_at,
            )
    except IntegrityError:
        return "duplicate"
    Chat.objects.filter(pk=chat.pk).update(
        unread_count=F("unread_count") + 1,
        last_message_id=Greatest(Coalesce(F("last_message_id"), Value(0)), Value(message.pk, BigIntegerField())),
        last_message_at=Greatest(F("last_message_at"), Value(received_at, DateTimeField())),
        status=ChatStatus.OPEN,  # the customer wrote again: a closed chat reopens
        closed_at=None,
        updated_at=received_at,
    )
    return "stored"


@transaction.atomic
def inbound_edit_apply(*, channel: Channel, event: InboundEdit) -> str:
    """Apply a person's edit to the message they sent earlier. An edit of a message we never stored
    changes nothing ("skipped"); the same edit twice is a "duplicate"."""
    message = (
        Message.objects.select_for_update(of=("self",))
        .filter(
            tenant_id=channel.tenant_id,
            chat__channel=channel,
            chat__external_chat_id=event.external_chat_id,
            direction=Direction.INBOUND,
            external_id=event.external_id,
        )
        .first()
    )
    if message is None:
        return "skipped"
    edited_at = event.edited_at or timezone.now()
    if message.text == event.text and message.edited_at is not None and message.edited_at >= edited_at:
        return "duplicate"
    if message.edited_at is not None and message.edited_at > edited_at:
        return "duplicate"  # an older edit arriving late
    message.text = event.text
    message.edited_at = edited_at
    message.save(update_fields=["text", "edited_at"])
    return "stored"


def _chat_for(channel: Channel, external_chat_id: str, contact: Contact) -> Chat:
    chat = Chat.objects.filter(channel=channel, external_chat_id=external_chat_id).first()
    if chat is not None:
        return chat
    identity = _identity_for(channel, contact)
    now = timezone.now()
    phone = _valid_phone(channel, contact.phone)
    name = contact.name or _fallback_name(channel.kind, contact, phone)
    try:
        with transaction.atomic():
            chat = Chat.objects.create(
                tenant_id=channel.tenant_id,
                channel=channel,
                kind=channel.kind,
                external_chat_id=external_chat_id,
                identity=identity,
                name=name[:MAX_NAME_LENGTH],
                username=contact.username,
                phone=phone,
                last_message_at=now,
                search_text=chat_search_text(name=name, username=contact.username, phone=phone),
            )
            if identity.customer_id is not None:
                ChatClient.objects.create(
                    tenant_id=channel.tenant_id, chat=chat, customer_id=identity.customer_id, link=ClientLink.AUTO
                )
    except IntegrityError:  # the same person's other message created the chat meanwhile
        chat = Chat.objects.get(channel=channel, external_chat_id=external_chat_id)
    return chat


def _identity_for(channel: Channel, contact: Contact) -> MessengerIdentity:
    """The person's identity in the channel's store, with the customer it points at (found or
    created; see the module for the order and the race)."""
    tenant_id = channel.tenant_id
    for _attempt in range(IDENTITY_ATTEMPTS):
        identity = (
            MessengerIdentity.objects.filter(tenant_id=tenant_id, kind=channel.kind, external_id=contact.external_id)
            .select_related("customer")
            .first()
        )
        if identity is not None and identity.customer_id is not None:
            return identity
        try:
            with transaction.atomic():
                if identity is not None:
                    # Known person whose client was deleted or unlinked: one transaction at a time
                    # finds or creates their client (the row lock), the others then see it.
                    identity = MessengerIdentity.objects.select_for_update().get(pk=identity.pk)
                    if identity.customer_id is not None:
                        return identity
                customer = _customer_for(channel, contact)
                if identity is None:
                    identity = MessengerIdentity.objects.create(
                        tenant_id=tenant_id, kind=channel.kind, external_id=contact.external_id, customer=customer
                    )
                else:
                    MessengerIdentity.objects.filter(pk=identity.pk).update(customer=customer)
                    identity.customer = customer
            return identity
        except (IntegrityError, ValidationError):
            # Lost a race: the identity, or the phone of the client we were creating, was taken by a
            # transaction that committed meanwhile. The savepoint dropped what we wrote; read again.
            continue
    raise RuntimeError(f"could not settle the identity {channel.kind}:{contact.external_id}")


def _customer_for(channel: Channel, contact: Contact) -> Customer:
    """A customer the store already has for this person, linked to the messenger, else a new one."""
    tenant = channel.tenant
    phone = _valid_phone(channel, contact.phone)
    messenger_field = "whatsapp_jid" if channel.kind == ChannelKind.WHATSAPP else "telegram_user_id"
    customers = Customer.objects.for_tenant(tenant)
    known = customers.filter(**{messenger_field: contact.external_id}).order_by("id").first()
    if known is None and phone:
        known = customers.filter(phone=phone).first()
    if known is not None:
        if not getattr(known, messenger_field):
            before = snapshot(known)
            known = customer_update(customer=known, **{messenger_field: contact.external_id})
            change_record(instance=known, action=ChangeAction.UPDATE, before=before, after=snapshot(known))
        return known
    fields = {
        "display_name": (contact.name or _fallback_name(channel.kind, contact, phone))[:MAX_NAME_LENGTH],
        "status": CustomerStatus.POTENTIAL,
        "source": channel.kind,
        messenger_field: contact.external_id,
    }
    if phone:
        fields["phone"] = phone
    customer = customer_create(tenant=tenant, **fields)
    change_record(instance=customer, action=ChangeAction.CREATE, after=snapshot(customer))
    return customer


def _valid_phone(channel: Channel, phone: str) -> str:
    if not phone:
        return ""
    try:
        return normalize_phone(phone, channel.tenant.phone_region)
    except ValidationError:
        return ""


def _fallback_name(kind: str, contact: Contact, phone: str) -> str:
    if contact.username:
        return f"@{contact.username}"
    if phone:
        return phone
    return f"{ChannelKind(kind).label} {contact.external_id.split('@', 1)[0]}"


@transaction.atomic
def channel_webhook_verified(*, channel: Channel) -> None:
    """The provider's verification handshake succeeded: the channel's webhook is set up."""
    Channel.objects.filter(pk=channel.pk).exclude(webhook_status=WebhookStatus.VERIFIED).update(
        webhook_status=WebhookStatus.VERIFIED, webhook_error="", webhook_checked_at=timezone.now()
    )
