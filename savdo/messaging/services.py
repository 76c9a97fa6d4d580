"""Writes of the messaging domain a person asks for: connecting channels, and the commands on a
chat (read, assign, close, reopen, link or unlink a client, reply).

Webhooks write through `savdo.messaging.inbound`; sending and status callbacks live in
`savdo.messaging.delivery`. Errors are `ValidationError` keyed by model field name (400), or
`ChatStateRefused` for a move the chat's state machine does not allow (409).
"""

import secrets
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, DateTimeField, F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from savdo.audit.models import ChangeAction
from savdo.audit.services import change_record, snapshot
from savdo.customers.models import Customer
from savdo.customers.services import customer_update
from savdo.messaging import jobs, sealed
from savdo.messaging.choices import (
    CHAT_TRANSITIONS,
    PROVIDER_KIND,
    ChannelKind,
    ChannelStatus,
    ChatStatus,
    ClientLink,
    DeliveryStatus,
    Direction,
    MessageKind,
    Provider,
    WebhookStatus,
)
from savdo.messaging.constants import MAX_TEXT_LENGTH
from savdo.messaging.models import Channel, Chat, ChatClient, Message
from savdo.messaging.providers import adapter_for
from savdo.messaging.providers.base import SendFailed
from savdo.tenancy.models import Membership, Tenant
from savdo.tenancy.roles import SUPPORT_STAFF

MSG_PROVIDER_KIND = _("This provider does not carry this messenger.")
MSG_REQUIRED = _("This field is required.")
MSG_ACCOUNT_TAKEN = _("This messenger account is already connected to the store.")
MSG_CHANNEL_DISCONNECTED = _("The channel is disconnected.")
MSG_CHAT_CLOSED = _("The chat is closed; reopen it to reply.")
MSG_ALREADY = {
    ChatStatus.OPEN: _("The chat is already open."),
    ChatStatus.CLOSED: _("The chat is already closed."),
}
MSG_NOT_A_CHAT_MEMBER = _("This user cannot handle chats in this store.")
MSG_EMPTY_TEXT = _("A message needs some text.")
MSG_TEXT_TOO_LONG = _("A message has at most %(limit)d characters.")

# The credentials each provider needs (request field names are the surface's business).
REQUIRED_CREDENTIALS = {
    Provider.TELEGRAM: ("bot_token",),
    Provider.WHATSAPP_CLOUD: ("app_secret", "access_token", "phone_number_id"),
    Provider.EVOLUTION: ("api_url", "api_key", "instance"),
}
SEALED_FIELDS = {
    Provider.TELEGRAM: ("bot_token", "webhook_secret"),
    Provider.WHATSAPP_CLOUD: ("app_secret", "verify_token", "access_token"),
    Provider.EVOLUTION: ("api_key", "webhook_secret"),
}
PUBLIC_FIELDS = ("phone_number_id", "api_url", "instance")
# Changing these means telling the provider again where to post.
REGISTRATION_FIELDS = frozenset({"bot_token", "api_url", "api_key", "instance"})


class ChatStateRefused(Exception):
    """A chat command its state machine refuses (closing a closed chat, replying to one)."""


def new_secret() -> str:
    """A random secret fit for Telegram's `secret_token` (A-Z, a-z, 0-9, _ and -; 43 characters)."""
    return secrets.token_urlsafe(32)


def webhook_path(provider: str, key: str) -> str:
    return f"/api/webhooks/{provider}/{key}"


# --- channels ----------------------------------------------------------------------------------


def _check_credentials(provider: str, fields: dict) -> None:
    missing = [name for name in REQUIRED_CREDENTIALS[provider] if not str(fields.get(name) or "").strip()]
    if missing:
        raise ValidationError({name: [MSG_REQUIRED] for name in missing})


@transaction.atomic
def channel_connect(
    *,
    tenant: Tenant,
    kind: str,
    provider: str,
    name: str,
    webhook_base_url: str,
    actor=None,
    register: bool = True,
    **credentials: str,
) -> Channel:
    """Connect a messenger account to `tenant`.

    `credentials` are the provider's: Telegram `bot_token`; WhatsApp Cloud `app_secret`,
    `access_token`, `phone_number_id` and optionally `verify_token` (generated if absent); Evolution
    `api_url`, `api_key`, `instance`. A random webhook key and (Telegram, Evolution) webhook secret
    are generated; the secret is returned once as `channel.issued_webhook_secret` (for WhatsApp
    Cloud: the verify token) and stored sealed with the tokens. Registering the webhook with the
    provider runs after the commit (`jobs`), never inside this transaction: connecting does not
    depend on reaching the provider (`register=False`: not at all, e.g. demo data). An account
    already connected to the store: ValidationError.
    """
    if PROVIDER_KIND.get(provider) != kind:
        raise ValidationError({"provider": [MSG_PROVIDER_KIND]})
    _check_credentials(provider, credentials)
    values = {key: str(value).strip() for key, value in credentials.items() if value not in (None, "")}
    if provider in (Provider.TELEGRAM, Provider.EVOLUTION):
        values["webhook_secret"] = new_secret()
        issued = values["webhook_secret"]
    else:
        values.setdefault("verify_token", new_secret())
        issued = values["verify_token"]
    if "api_url" in values:
        values["api_url"] = values["api_url"].rstrip("/")
    key = secrets.token_urlsafe(32)
    channel = Channel(
        tenant=tenant,
        kind=kind,
        provider=provider,
        name=name.strip(),
        webhook_key=key,
        webhook_url=webhook_base_url.rstrip("/") + webhook_path(provider, key),
        account_id=adapter_for(provider).account_id(values),
        created_by=actor,
        **{field: values.get(field, "") for field in PUBLIC_FIELDS},
    )
    channel.set_credentials({field: values[field] for field in SEALED_FIELDS[provider] if field in values})
    try:
        with transaction.atomic():
            channel.save()
    except IntegrityError as exc:
        raise ValidationError({"account_id": [MSG_ACCOUNT_TAKEN]}) from exc
    channel.issued_webhook_secret = issued
    if register:
        transaction.on_commit(partial(jobs.run_in_background, channel_register_webhook_by_id, channel.pk))
    return channel


@transaction.atomic
def channel_update(*, channel: Channel, name: str | None = None, **credentials: str) -> Channel:
    """Rename a channel, or replace some of its credentials (the others stay as they are). A new bot
    token, gateway URL, instance or API key registers the webhook again after the commit."""
    locked = Channel.objects.select_for_update().get(pk=channel.pk)
    if locked.status != ChannelStatus.ACTIVE:
        raise ValidationError({"status": [MSG_CHANNEL_DISCONNECTED]})
    if name is not None:
        locked.name = name.strip()
    given = {key: str(value).strip() for key, value in credentials.items() if value not in (None, "")}
    if given:
        stored = locked.credentials()
        for field in SEALED_FIELDS[locked.provider]:
            if field in given:
                stored[field] = given[field]
        if "api_url" in given:
            given["api_url"] = given["api_url"].rstrip("/")
        for field in PUBLIC_FIELDS:
            if field in given:
                setattr(locked, field, given[field])
        locked.set_credentials(stored)
        public = {field: getattr(locked, field) for field in PUBLIC_FIELDS}
        locked.account_id = adapter_for(locked.provider).account_id({**public, **stored})
    reregister = bool(REGISTRATION_FIELDS.intersection(given))
    if reregister:
        locked.webhook_status = WebhookStatus.PENDING
        locked.webhook_error = ""
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:
        raise ValidationError({"account_id": [MSG_ACCOUNT_TAKEN]}) from exc
    if reregister:
        transaction.on_commit(partial(jobs.run_in_background, channel_register_webhook_by_id, locked.pk))
    return locked


@transaction.atomic
def channel_disconnect(*, channel: Channel) -> Channel:
    """Disconnect a channel: its webhook key stops working at once, its credentials are erased,
    replies still queued fail. Its chats and messages stay readable. Disconnecting twice changes
    nothing."""
    locked = Channel.objects.select_for_update().get(pk=channel.pk)
    if locked.status == ChannelStatus.DISCONNECTED:
        return locked
    locked.status = ChannelStatus.DISCONNECTED
    locked.disconnected_at = timezone.now()
    locked.secret_credentials = ""
    locked.save(update_fields=["status", "disconnected_at", "secret_credentials", "updated_at"])
    Message.objects.filter(chat__channel=locked, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=str(MSG_CHANNEL_DISCONNECTED)
    )
    return locked


def channel_register_webhook(*, channel: Channel) -> Channel:
    """Tell the provider where to post (Telegram `setWebhook`, Evolution `webhook/set`; WhatsApp
    Cloud is set by hand in Meta's dashboard) and record the outcome on the channel.

    Runs outside any transaction: nothing is locked while the provider answers. Not for a
    disconnected channel (returned unchanged).
    """
    if channel.status != ChannelStatus.ACTIVE:
        return channel
    try:
        registration = adapter_for(channel.provider).register_webhook(channel, channel.credentials())
        status, detail = registration.status, registration.detail
    except SendFailed as exc:
        status, detail = WebhookStatus.FAILED, exc.detail
    except sealed.Unsealable:
        status, detail = WebhookStatus.FAILED, "The channel's credentials cannot be read; connect it again."
    with transaction.atomic():
        fresh = Channel.objects.select_for_update().get(pk=channel.pk)
        before = snapshot(fresh)
        if fresh.status == ChannelStatus.ACTIVE and not (
            status == WebhookStatus.MANUAL and fresh.webhook_status == WebhookStatus.VERIFIED
        ):
            fresh.webhook_status = status
            fresh.webhook_error = detail[:500] if status in (WebhookStatus.FAILED, WebhookStatus.MANUAL) else ""
            fresh.webhook_checked_at = timezone.now()
            fresh.save(update_fields=["webhook_status", "webhook_error", "webhook_checked_at", "updated_at"])
            change_record(instance=fresh, action="register_webhook", before=before, after=snapshot(fresh))
    return fresh


def channel_register_webhook_by_id(channel_id: int) -> None:
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is not None:
        channel_register_webhook(channel=channel)


# --- chats -------------------------------------------------------------------------------------


def _move(chat: Chat, target: str) -> Chat:
    locked = Chat.objects.select_for_update().get(pk=chat.pk)
    if target not in CHAT_TRANSITIONS[ChatStatus(locked.status)]:
        raise ChatStateRefused(MSG_ALREADY[target])
    locked.status = target
    locked.closed_at = timezone.now() if target == ChatStatus.CLOSED else None
    locked.save(update_fields=["status", "closed_at", "updated_at"])
    return locked


@transaction.atomic
def chat_close(*, chat: Chat) -> Chat:
    """Close an open chat (a new message from the customer opens it again)."""
    return _move(chat, ChatStatus.CLOSED)


@transaction.atomic
def chat_reopen(*, chat: Chat) -> Chat:
    """Reopen a closed chat."""
    return _move(chat, ChatStatus.OPEN)


@transaction.atomic
def chat_mark_read(*, chat: Chat) -> Chat:
    """Mark everything in the chat as read (unread count 0)."""
    Chat.objects.filter(pk=chat.pk).exclude(unread_count=0).update(unread_count=0, updated_at=timezone.now())
    chat.refresh_from_db(fields=["unread_count", "updated_at"])
    return chat


@transaction.atomic
def chat_assign(*, chat: Chat, assigned_to=None) -> Chat:
    """Make `assigned_to` (an active member of the store who handles chats: owner, admin, manager or
    agent) responsible for the chat; None takes the chat off anyone's list."""
    if assigned_to is not None:
        allowed = Membership.objects.filter(
            tenant_id=chat.tenant_id, user=assigned_to, is_active=True, role__in=SUPPORT_STAFF
        ).exists()
        if not allowed:
            raise ValidationError({"assigned_to": [MSG_NOT_A_CHAT_MEMBER]})
    Chat.objects.filter(pk=chat.pk).update(assigned_to=assigned_to, updated_at=timezone.now())
    chat.refresh_from_db(fields=["assigned_to", "updated_at"])
    return chat


def _messenger_field(chat: Chat) -> str:
    return "whatsapp_jid" if chat.kind == ChannelKind.WHATSAPP else "telegram_user_id"


@transaction.atomic
def chat_link_client(*, chat: Chat, customer: Customer) -> Chat:
    """Show `customer` (of the chat's store) on the chat. If the chat's person points at no client
    (theirs was deleted or unlinked), they are this client from now on (the next new chat of theirs
    shows it) and the client gets their WhatsApp JID / Telegram id if it has none. Linking a linked
    client changes nothing."""
    if customer.tenant_id != chat.tenant_id:
        raise ValidationError({"customer": [_("Not found.")]})
    try:
        with transaction.atomic():
            ChatClient.objects.create(tenant_id=chat.tenant_id, chat=chat, customer=customer, link=ClientLink.MANUAL)
    except IntegrityError:
        return chat
    Chat.objects.filter(pk=chat.pk).update(updated_at=timezone.now())
    identity = chat.identity
    if identity.customer_id is not None:
        return chat
    type(identity).objects.filter(pk=identity.pk).update(customer=customer)
    field = _messenger_field(chat)
    if not getattr(customer, field):
        before = snapshot(customer)
        updated = customer_update(customer=customer, **{field: identity.external_id})
        change_record(instance=updated, action=ChangeAction.UPDATE, before=before, after=snapshot(updated))
    return chat


@transaction.atomic
def chat_unlink_client(*, chat: Chat, customer_id: int) -> Chat:
    """Take a client off the chat (raises ChatClient.DoesNotExist if it is not on it). If the chat's
    person pointed at that client, they point at another client still on the chat, or none."""
    deleted, _by_model = ChatClient.objects.filter(chat=chat, customer_id=customer_id).delete()
    if not deleted:
        raise ChatClient.DoesNotExist
    identity = chat.identity
    if identity.customer_id == customer_id:
        other = ChatClient.objects.filter(chat=chat).order_by("id").values_list("customer_id", flat=True).first()
        type(identity).objects.filter(pk=identity.pk).update(customer_id=other)
    Chat.objects.filter(pk=chat.pk).update(updated_at=timezone.now())
    return chat


@transaction.atomic
def message_send(*, chat: Chat, text: str, actor=None) -> Message:
    """Reply in an open chat of an active channel: the message is stored `queued` at once and sent
    after the commit through the channel's adapter (`savdo.messaging.delivery`), with retries.
    Replying marks the chat read."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": [MSG_EMPTY_TEXT]})
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError({"text": [MSG_TEXT_TOO_LONG % {"limit": MAX_TEXT_LENGTH}]})
    locked = Chat.objects.select_for_update().select_related("channel").get(pk=chat.pk)
    if locked.channel.status != ChannelStatus.ACTIVE:
        raise ChatStateRefused(MSG_CHANNEL_DISCONNECTED)
    if locked.status != ChatStatus.OPEN:
        raise ChatStateRefused(MSG_CHAT_CLOSED)
    now = timezone.now()
    message = Message.objects.create(
        tenant_id=locked.tenant_id,
        chat=locked,
        direction=Direction.OUTBOUND,
        kind=MessageKind.TEXT,
        text=text,
        sender=actor,
        status=DeliveryStatus.QUEUED,
        next_attempt_at=now,
    )
    Chat.objects.filter(pk=locked.pk).update(
        unread_count=0,
        last_message_id=Greatest(Coalesce(F("last_message_id"), Value(0)), Value(message.pk, BigIntegerField())),
        last_message_at=Greatest(F("last_message_at"), Value(now, DateTimeField())),
        updated_at=now,
    )
    transaction.on_commit(partial(jobs.run_in_background, jobs.deliver_with_retries, message.pk))
    return message
