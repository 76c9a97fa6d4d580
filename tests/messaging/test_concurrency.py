"""Webhooks at the same moment, with real threads against PostgreSQL (skipped on SQLite, whose
IMMEDIATE transactions serialise writers anyway). Each thread has its own connection and posts
through the real webhook view."""

import copy

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from savdo.customers.models import Customer
from savdo.customers.services import customer_create
from savdo.messaging.choices import Provider
from savdo.messaging.models import Chat, Message, MessengerIdentity
from tests.messaging.conftest import connect, payload, payload_json, post_webhook
from tests.threads import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (real concurrency)"),
]


def _telegram_message(message_id: int, user_id: int = 7012345678) -> dict:
    data = payload_json("telegram", "text")
    data["update_id"] = 900000000 + message_id + user_id % 1000 * 1000
    data["message"]["message_id"] = message_id
    data["message"]["from"]["id"] = user_id
    data["message"]["chat"]["id"] = user_id
    data["message"]["text"] = f"Сообщение {message_id}"
    return data


def test_two_first_messages_from_one_person_make_one_client(tenant):
    channel = connect(tenant, Provider.TELEGRAM)
    responses = race(*[lambda n=n: post_webhook(channel, _telegram_message(n)) for n in range(1, 7)])
    assert [r.status_code for r in responses] == [200] * 6, responses
    assert sum(r.json()["stored"] for r in responses) == 6
    assert Customer.objects.count() == 1
    assert MessengerIdentity.objects.count() == 1
    chat = Chat.objects.get()
    assert Message.objects.filter(chat=chat).count() == 6
    assert chat.unread_count == 6
    assert chat.last_message_id == Message.objects.order_by("-id").first().pk
    assert list(chat.clients.all()) == list(Customer.objects.all())


def test_the_same_delivery_twice_at_once_is_stored_once(tenant):
    channel = connect(tenant, Provider.WHATSAPP_CLOUD)
    body = payload("whatsapp_cloud", "text")
    responses = race(*[lambda: post_webhook(channel, body) for _ in range(4)])
    assert [r.status_code for r in responses] == [200] * 4
    assert sorted(r.json()["stored"] for r in responses) == [0, 0, 0, 1]
    assert sorted(r.json()["duplicates"] for r in responses) == [0, 1, 1, 1]
    assert (Customer.objects.count(), Chat.objects.count(), Message.objects.count()) == (1, 1, 1)
    assert Chat.objects.get().unread_count == 1


def test_one_person_on_two_channels_at_once_is_one_client(tenant):
    cloud = connect(tenant, Provider.WHATSAPP_CLOUD)
    gateway = connect(tenant, Provider.EVOLUTION)
    evolution = payload_json("evolution", "messages_upsert__text")
    evolution["data"]["key"]["remoteJid"] = "79001234567@s.whatsapp.net"
    responses = race(
        lambda: post_webhook(cloud, payload("whatsapp_cloud", "text")),
        lambda: post_webhook(gateway, evolution),
    )
    assert [r.json()["stored"] for r in responses] == [1, 1]
    assert Customer.objects.count() == 1
    assert Chat.objects.count() == 2
    assert Customer.objects.get().phone == "+79001234567"


def test_a_first_message_racing_a_new_customer_with_that_phone(tenant):
    """The clients API creates the customer with the WhatsApp number while the first message
    arrives: one customer, linked, whichever wins."""
    channel = connect(tenant, Provider.WHATSAPP_CLOUD)

    def create():
        try:
            return customer_create(tenant=tenant, display_name="Иван Петров", phone="+79001234567")
        except ValidationError as exc:
            return exc

    results = race(lambda: post_webhook(channel, payload("whatsapp_cloud", "text")), create)
    assert results[0].status_code == 200, results[0].content
    assert Customer.objects.filter(phone="+79001234567").count() == 1
    customer = Customer.objects.get()
    assert list(Chat.objects.get().clients.all()) == [customer]
    assert MessengerIdentity.objects.get().customer_id == customer.pk


def test_a_burst_from_many_people(tenant):
    channel = connect(tenant, Provider.TELEGRAM)
    people = [7100000000 + n for n in range(5)]
    calls = [
        (lambda p=person, n=n: post_webhook(channel, _telegram_message(n, p))) for person in people for n in (1, 2, 3)
    ]
    responses = race(*calls)
    assert all(r.status_code == 200 for r in responses)
    assert Customer.objects.count() == 5
    assert Chat.objects.count() == 5
    assert Message.objects.count() == 15
    assert sorted(Chat.objects.values_list("unread_count", flat=True)) == [3] * 5


def test_replies_at_once_are_all_stored(tenant, owner):
    channel = connect(tenant, Provider.TELEGRAM)
    post_webhook(channel, payload("telegram", "text"))
    chat = Chat.objects.get()
    bodies = [copy.deepcopy({"text": f"Ответ {n}"}) for n in range(4)]
    responses = race(
        *[lambda b=b: owner.client.post(f"/api/chats/{chat.pk}/messages", b, format="json") for b in bodies]
    )
    assert [r.status_code for r in responses] == [201] * 4
    chat.refresh_from_db()
    assert Message.objects.filter(chat=chat, direction="out").count() == 4
    assert chat.unread_count == 0
    assert chat.last_message_id == Message.objects.order_by("-id").first().pk


def test_a_known_person_without_a_client_gets_one_client_at_once(tenant):
    """Their client was deleted; two first messages in a new chat at once find or create one."""
    first_bot = connect(tenant, Provider.TELEGRAM)
    post_webhook(first_bot, payload("telegram", "text"))
    Customer.objects.all().delete()
    second_bot = connect(tenant, Provider.TELEGRAM, bot_token="7999999999:AAHk3b2x9QwErTyUiOpAsDfGhJkLzXcVbNm")
    responses = race(*[lambda n=n: post_webhook(second_bot, _telegram_message(n)) for n in range(1, 5)])
    assert [r.status_code for r in responses] == [200] * 4
    assert Customer.objects.count() == 1
    assert MessengerIdentity.objects.get().customer_id == Customer.objects.get().pk
