"""Replies leaving the store: one attempt after the commit, retries on the provider's temporary
errors, final failures, the scheduled command, and callbacks that overtake the send's answer."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from savdo.messaging import jobs, services
from savdo.messaging.choices import DeliveryStatus, Direction, Provider
from savdo.messaging.constants import MAX_ATTEMPTS
from savdo.messaging.delivery import message_deliver
from savdo.messaging.models import DeliveryEvent, Message
from tests.messaging.conftest import payload, post_webhook
from tests.messaging.factories import make_chat

TELEGRAM_OK = (200, {"ok": True, "result": {"message_id": 555, "date": 1732612000}})


def reply(chat, text="Да, есть."):
    """A reply stored by the service; its after-commit attempt not run (the test runs it)."""
    return services.message_send(chat=chat, text=text)


def later(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def test_a_temporary_error_is_retried_until_sent(tenant, receiver):
    answers = iter([(502, {"ok": False, "description": "Bad Gateway"}), TELEGRAM_OK])
    receiver.respond = lambda m, p, b: next(answers)
    message = reply(make_chat(tenant))
    outcome = message_deliver(message_id=message.pk)
    assert outcome.result == "retry"
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (DeliveryStatus.QUEUED, 1, "Bad Gateway")
    assert message.next_attempt_at > timezone.now() + timedelta(seconds=4)
    assert message_deliver(message_id=message.pk) is None  # not due yet: nobody sends it
    assert jobs.deliver_due_messages(now=later(6)) == {"attempted": 1, "sent": 1, "failed": 0, "retry": 0}
    message.refresh_from_db()
    assert (message.status, message.attempts, message.external_id, message.last_error) == ("sent", 2, "555", "")
    events = list(DeliveryEvent.objects.order_by("id").values_list("status", "attempt", "http_status"))
    assert events == [("queued", 1, 502), ("sent", 2, None)]
    assert len(receiver.requests) == 2


def test_a_refusal_that_will_not_change_fails_at_once(tenant, receiver, owner):
    receiver.respond = lambda m, p, b: (
        403,
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
    )
    chat = make_chat(tenant)
    message = reply(chat)
    assert message_deliver(message_id=message.pk).result == "failed"
    message.refresh_from_db()
    assert (message.status, message.next_attempt_at) == (DeliveryStatus.FAILED, None)
    shown = owner.client.get(f"/api/chats/{chat.pk}/messages").json()["messages"][-1]
    assert (shown["status"], shown["error"], shown["attempts"]) == (
        "failed",
        "Forbidden: bot was blocked by the user",
        1,
    )
    assert jobs.deliver_due_messages(now=later(3600))["attempted"] == 0


def test_after_the_last_attempt_the_message_fails(tenant):
    # The provider's URL answers nothing at all (network errors: retryable).
    message = reply(make_chat(tenant))
    moment = timezone.now()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        outcome = message_deliver(message_id=message.pk, now=moment)
        assert outcome is not None, attempt
        moment = outcome.next_attempt_at or moment
    assert outcome.result == "failed"
    message.refresh_from_db()
    assert (message.status, message.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    assert message.last_error.startswith("network error")
    assert DeliveryEvent.objects.filter(message=message).count() == MAX_ATTEMPTS


def test_a_claimed_message_is_not_sent_twice(tenant, receiver):
    receiver.respond = lambda m, p, b: TELEGRAM_OK
    message = reply(make_chat(tenant))
    assert message_deliver(message_id=message.pk).result == "sent"
    assert message_deliver(message_id=message.pk) is None
    assert jobs.deliver_due_messages(now=later(3600))["attempted"] == 0
    assert len(receiver.requests) == 1


def test_whatsapp_cloud_send(tenant, receiver):
    receiver.respond = lambda m, p, b: (200, {"messaging_product": "whatsapp", "messages": [{"id": "wamid.OUT1"}]})
    chat = make_chat(tenant, provider=Provider.WHATSAPP_CLOUD)
    message = reply(chat, "Assalomu alaykum! Ha, bor.")
    message_deliver(message_id=message.pk)
    (request,) = receiver.requests
    assert request["path"] == f"/{chat.channel.phone_number_id}/messages"
    assert request["headers"]["authorization"] == "Bearer EAAGm0PX4ZCpsBAtesttoken"
    assert request["json"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": chat.external_chat_id.split("@")[0],
        "type": "text",
        "text": {"preview_url": False, "body": "Assalomu alaykum! Ha, bor."},
    }
    message.refresh_from_db()
    assert (message.status, message.external_id) == ("sent", "wamid.OUT1")


def test_whatsapp_cloud_rate_limit_is_retried(tenant, receiver):
    receiver.respond = lambda m, p, b: (400, {"error": {"message": "Rate limit hit", "code": 130429}})
    message = reply(make_chat(tenant, provider=Provider.WHATSAPP_CLOUD))
    assert message_deliver(message_id=message.pk).result == "retry"


def test_evolution_send(tenant, receiver):
    receiver.respond = lambda m, p, b: (201, {"key": {"remoteJid": "x", "fromMe": True, "id": "BAE5AAA"}})
    chat = make_chat(tenant, provider=Provider.EVOLUTION)
    chat.channel.api_url = receiver.url
    chat.channel.save()
    message = reply(chat)
    message_deliver(message_id=message.pk)
    (request,) = receiver.requests
    assert request["path"] == f"/message/sendText/{chat.channel.instance}"
    assert request["headers"]["apikey"] == "evolution-api-key-123"
    assert request["json"] == {"number": chat.external_chat_id.split("@")[0], "text": "Да, есть."}
    message.refresh_from_db()
    assert (message.status, message.external_id) == ("sent", "BAE5AAA")


def test_a_callback_that_overtakes_the_sends_answer_is_applied_when_it_lands(tenant, receiver):
    """WhatsApp may post `delivered` before our HTTP call to it has returned."""
    chat = make_chat(tenant, provider=Provider.WHATSAPP_CLOUD)
    chat.channel.phone_number_id = "106540352242922"
    chat.channel.save()
    wamid = "wamid.HBgLNzkwMDEyMzQ1NjcVAgARGBJPVVRCT1VORDAwMDAwMDAwMQA="
    message = reply(chat)
    # The callback lands first: no message has that id yet, it is kept aside...
    assert post_webhook(chat.channel, payload("whatsapp_cloud", "status_delivered")).json()["stored"] == 1
    assert DeliveryEvent.objects.get(source="callback").message_id is None
    # ...then the send's answer records the id and applies it.
    receiver.respond = lambda m, p, b: (200, {"messages": [{"id": wamid}]})
    message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == DeliveryStatus.DELIVERED
    assert DeliveryEvent.objects.get(source="callback").message_id == message.pk


def test_deliver_messages_command(tenant, receiver, capsys):
    receiver.respond = lambda m, p, b: TELEGRAM_OK
    message = reply(make_chat(tenant))
    call_command("deliver-messages")
    assert "1 attempted, 1 sent" in capsys.readouterr().out
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT


def test_disconnecting_fails_queued_replies(tenant):
    chat = make_chat(tenant)
    message = reply(chat)
    services.channel_disconnect(channel=chat.channel)
    message.refresh_from_db()
    assert message.status == DeliveryStatus.FAILED
    assert message_deliver(message_id=message.pk) is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two threads at once on SQLite's shared-cache in-memory test database lock tables without waiting",
)
def test_thread_mode_sends_without_holding_the_request(tenant, receiver, owner, settings):
    settings.SAVDO_MESSAGING_BACKGROUND = "thread"
    receiver.respond = lambda m, p, b: TELEGRAM_OK
    chat = make_chat(tenant)
    response = owner.client.post(f"/api/chats/{chat.pk}/messages", {"text": "Салом"})
    assert response.status_code == 201
    for thread in threading.enumerate():
        if thread.name == "savdo-messaging":
            thread.join(timeout=30)
    message = Message.objects.get(direction=Direction.OUTBOUND)
    assert (message.status, message.external_id) == (DeliveryStatus.SENT, "555")
