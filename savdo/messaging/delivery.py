"""Outbound replies: the send attempt, its retries, and the provider's status callbacks.

A reply is stored `queued` by `services.message_send`; after the commit one attempt runs here:

1. claim: one UPDATE moves the message's next attempt `SEND_LEASE` ahead, only if it is still
   queued and due; whoever updates the row sends it, nobody else meanwhile;
2. send through the channel's adapter, outside any transaction (no lock is held while the
   provider answers);
3. record: `sent` with the provider's message id, or a retry time (`RETRY_DELAYS`), or `failed`
   for a refusal that will not change (bad token, blocked bot) or after `MAX_ATTEMPTS`; each
   attempt leaves a `DeliveryEvent`.

Status callbacks (`delivery_status_record`) move the message along `DELIVERY_TRANSITIONS` only
forward, store each (message id, status) once, and are kept aside when they overtake our own
send's answer, then applied once the send records the provider's id.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from savdo.messaging import sealed
from savdo.messaging.choices import (
    DELIVERY_TRANSITIONS,
    ChannelStatus,
    DeliveryEventSource,
    DeliveryStatus,
    Direction,
    delivery_sources,
)
from savdo.messaging.constants import MAX_ATTEMPTS, RETRY_DELAYS, SEND_LEASE
from savdo.messaging.models import Channel, DeliveryEvent, Message
from savdo.messaging.providers import adapter_for
from savdo.messaging.providers.base import SendFailed, StatusUpdate

# Order of the forward statuses, for choosing the furthest of several callbacks.
RANK = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.READ: 3,
    DeliveryStatus.FAILED: 4,
}


@dataclass(frozen=True)
class Attempt:
    result: str  # "sent", "retry", "failed"
    next_attempt_at: datetime | None = None


def due_message_ids(*, limit: int = 500, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Message.objects.filter(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def _claim(message_id: int, now: datetime) -> bool:
    from django.db.models import F

    return bool(
        Message.objects.filter(pk=message_id, status=DeliveryStatus.QUEUED, next_attempt_at__lte=now).update(
            attempts=F("attempts") + 1, next_attempt_at=now + SEND_LEASE
        )
    )


def message_deliver(*, message_id: int, now: datetime | None = None) -> Attempt | None:
    """One send attempt of a queued outbound message (see the module). None when the message is
    not due or someone else holds it."""
    now = now or timezone.now()
    if not _claim(message_id, now):
        return None
    message = Message.objects.select_related("chat__channel").get(pk=message_id)
    channel = message.chat.channel
    try:
        if channel.status != ChannelStatus.ACTIVE:
            raise SendFailed("The channel is disconnected.", retryable=False)
        try:
            credentials = channel.credentials()
        except sealed.Unsealable as exc:
            raise SendFailed("The channel's credentials cannot be read; connect it again.", retryable=False) from exc
        external_id = adapter_for(channel.provider).send_text(channel, credentials, message.chat, message.text)
    except SendFailed as exc:
        return _record_failure(message, exc, now)
    return _record_sent(message, external_id, now)


@transaction.atomic
def _record_failure(message: Message, exc: SendFailed, now: datetime) -> Attempt:
    final = not exc.retryable or message.attempts >= MAX_ATTEMPTS
    next_at = None if final else now + RETRY_DELAYS[message.attempts - 1]
    fields = {"last_error": exc.detail, "next_attempt_at": next_at}
    if final:
        fields["status"] = DeliveryStatus.FAILED
    Message.objects.filter(pk=message.pk, status=DeliveryStatus.QUEUED).update(**fields)
    DeliveryEvent.objects.create(
        tenant_id=message.tenant_id,
        channel_id=message.chat.channel_id,
        message=message,
        source=DeliveryEventSource.ATTEMPT,
        status=DeliveryStatus.FAILED if final else DeliveryStatus.QUEUED,
        attempt=message.attempts,
        http_status=exc.http_status,
        detail=exc.detail,
        occurred_at=now,
    )
    return Attempt("failed" if final else "retry", next_at)


@transaction.atomic
def _record_sent(message: Message, external_id: str, now: datetime) -> Attempt:
    Message.objects.filter(pk=message.pk, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.SENT, external_id=external_id, sent_at=now, next_attempt_at=None, last_error=""
    )
    DeliveryEvent.objects.create(
        tenant_id=message.tenant_id,
        channel_id=message.chat.channel_id,
        message=message,
        source=DeliveryEventSource.ATTEMPT,
        external_id=external_id,
        status=DeliveryStatus.SENT,
        attempt=message.attempts,
        occurred_at=now,
    )
    # Callbacks that overtook this answer.
    pending = list(
        DeliveryEvent.objects.filter(
            channel_id=message.chat.channel_id,
            external_id=external_id,
            source=DeliveryEventSource.CALLBACK,
            message__isnull=True,
        )
    )
    if pending:
        DeliveryEvent.objects.filter(pk__in=[event.pk for event in pending]).update(message=message)
        furthest = max((event.status for event in pending), key=lambda status: RANK.get(status, 0))
        _advance(message.pk, furthest, detail=next((e.detail for e in pending if e.status == furthest), ""))
    return Attempt("sent")


def _advance(message_id: int, status: str, *, detail: str = "") -> bool:
    """Move a message to `status` if the state machine allows it from where it is now."""
    fields = {"status": status, "next_attempt_at": None}
    if status == DeliveryStatus.FAILED and detail:
        fields["last_error"] = detail[:500]
    return bool(Message.objects.filter(pk=message_id, status__in=delivery_sources(status)).update(**fields))


@transaction.atomic
def delivery_status_record(*, channel: Channel, update: StatusUpdate) -> str:
    """Record a provider's status callback for one of the channel's outbound messages.

    Returns "stored", or "duplicate" for a callback already recorded (nothing new is stored).
    A callback for a message id we do not know yet is kept aside (see the module).
    """
    if update.status not in DELIVERY_TRANSITIONS:
        raise ValueError(update.status)
    message = (
        Message.objects.filter(
            tenant_id=channel.tenant_id,
            external_id=update.external_id,
            direction=Direction.OUTBOUND,
            chat__channel=channel,
        )
        .only("pk")
        .first()
    )
    try:
        with transaction.atomic():
            DeliveryEvent.objects.create(
                tenant_id=channel.tenant_id,
                channel=channel,
                message=message,
                source=DeliveryEventSource.CALLBACK,
                external_id=update.external_id,
                status=update.status,
                detail=update.detail,
                occurred_at=update.occurred_at or timezone.now(),
            )
    except IntegrityError:
        return "duplicate"
    if message is not None:
        _advance(message.pk, update.status, detail=update.detail)
    return "stored"
