"""`/api/chats` and `/api/chats/channels` through the API: shapes, filters, commands, roles."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from savdo.messaging.choices import ChatStatus, DeliveryStatus, Direction, Provider, WebhookStatus
from savdo.messaging.models import Channel, Chat, ChatClient, Message
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.customers.factories import CustomerFactory, TagFactory
from tests.messaging.conftest import BOT_TOKEN, payload, post_webhook
from tests.messaging.factories import channel_for, make_chat
from tests.sqlcount import work

CHAT_KEYS = {
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
}
CLIENT_KEYS = {"id", "name", "clientType", "segment", "status", "whatsappJid", "telegramUserId", "tags"}


# --- channels --------------------------------------------------------------------------------


def test_connect_telegram_answers_201_with_url_and_secret_shown_once(owner, tenant):
    response = owner.client.post(
        "/api/chats/channels", {"channel": "telegram", "provider": "telegram", "name": "Bot", "botToken": BOT_TOKEN}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    channel = Channel.objects.get()
    assert body["id"] == channel.pk
    assert body["webhookUrl"] == f"http://testserver/api/webhooks/telegram/{channel.webhook_key}"
    assert body["webhookSecret"] == channel.credentials()["webhook_secret"]
    assert body["webhookStatus"] == "pending"
    assert body["botId"] == "7412345678"
    assert BOT_TOKEN not in response.content.decode()
    # Stored sealed: neither the token nor the secret is in the row as text.
    assert BOT_TOKEN not in channel.secret_credentials
    assert body["webhookSecret"] not in channel.secret_credentials
    # Never shown again.
    for path in ("/api/chats/channels", f"/api/chats/channels/{channel.pk}"):
        text = owner.client.get(path).content.decode()
        assert "webhookSecret" not in text and body["webhookSecret"] not in text and BOT_TOKEN not in text


def test_connect_whatsapp_cloud_generates_the_verify_token_if_absent(owner):
    response = owner.client.post(
        "/api/chats/channels",
        {
            "channel": "whatsapp",
            "provider": "whatsapp_cloud",
            "name": "WA",
            "appSecret": "s3cr3t",
            "accessToken": "EAAG",
            "phoneNumberId": "106540352242922",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    channel = Channel.objects.get()
    assert body["webhookSecret"] == channel.credentials()["verify_token"]
    assert len(body["webhookSecret"]) == 43
    assert body["phoneNumberId"] == "106540352242922"
    assert body["webhookUrl"].endswith(f"/api/webhooks/whatsapp_cloud/{channel.webhook_key}")


def test_connect_uses_the_public_url_setting(owner, settings):
    settings.SAVDO_PUBLIC_URL = "https://shop.example.uz/"
    response = owner.client.post(
        "/api/chats/channels", {"channel": "telegram", "provider": "telegram", "name": "Bot", "botToken": BOT_TOKEN}
    )
    assert response.json()["webhookUrl"].startswith("https://shop.example.uz/api/webhooks/telegram/")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {
                "channel": "telegram",
                "provider": "evolution",
                "name": "x",
                "apiUrl": "http://gw",
                "apiKey": "k",
                "instance": "i",
            },
            {"provider"},
        ),
        ({"channel": "telegram", "provider": "telegram", "name": "x"}, {"botToken"}),
        ({"channel": "telegram", "provider": "telegram", "name": "x", "botToken": "nonsense"}, {"botToken"}),
        (
            {"channel": "whatsapp", "provider": "whatsapp_cloud", "name": "x", "appSecret": "s"},
            {"accessToken", "phoneNumberId"},
        ),
        (
            {
                "channel": "whatsapp",
                "provider": "evolution",
                "name": "x",
                "apiUrl": "ftp://gw",
                "apiKey": "k",
                "instance": "i",
            },
            {"apiUrl"},
        ),
        ({"channel": "viber", "provider": "telegram", "name": "x", "botToken": BOT_TOKEN}, {"channel"}),
        ({"provider": "telegram", "botToken": BOT_TOKEN}, {"channel", "name"}),
    ],
)
def test_connect_refuses_bad_input_with_400_and_writes_nothing(owner, body, errors):
    response = owner.client.post("/api/chats/channels", body)
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["code"] == "VALIDATION_ERROR"
    assert set(data["errors"]) == errors
    assert Channel.objects.count() == 0


def test_connecting_one_account_twice_is_400(owner):
    body = {"channel": "telegram", "provider": "telegram", "name": "Bot", "botToken": BOT_TOKEN}
    assert owner.client.post("/api/chats/channels", body).status_code == 201
    response = owner.client.post("/api/chats/channels", body)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"account"}
    assert Channel.objects.count() == 1


def test_registration_runs_after_the_commit_against_the_provider(owner, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.client.post(
            "/api/chats/channels", {"channel": "telegram", "provider": "telegram", "name": "Bot", "botToken": BOT_TOKEN}
        )
    assert response.status_code == 201
    channel = Channel.objects.get()
    (request,) = receiver.requests
    assert request["path"] == f"/bot{BOT_TOKEN}/setWebhook"
    assert request["json"] == {
        "url": response.json()["webhookUrl"],
        "secret_token": response.json()["webhookSecret"],
        "allowed_updates": ["message", "edited_message"],
    }
    assert channel.webhook_status == WebhookStatus.REGISTERED


def test_registration_failure_is_shown_on_the_channel_and_can_be_retried(owner, receiver, tenant):
    receiver.respond = lambda m, p, b: (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    channel = channel_for(tenant)
    response = owner.client.post(f"/api/chats/channels/{channel.pk}/webhook")
    assert response.status_code == 200
    assert (response.json()["webhookStatus"], response.json()["webhookError"]) == ("failed", "Unauthorized")
    receiver.respond = lambda m, p, b: (200, {"ok": True, "result": True, "description": "Webhook was set"})
    response = owner.client.post(f"/api/chats/channels/{channel.pk}/webhook")
    assert (response.json()["webhookStatus"], response.json()["webhookError"]) == ("registered", None)


def test_an_unreachable_provider_does_not_block_connecting(owner, tenant):
    # The provider's URL answers nothing (tests' default): the channel exists, registration failed.
    channel = channel_for(tenant)
    response = owner.client.post(f"/api/chats/channels/{channel.pk}/webhook")
    assert response.status_code == 200
    assert response.json()["webhookStatus"] == "failed"
    assert response.json()["webhookError"].startswith("network error")


def test_evolution_registration_sets_the_secret_header_in_the_gateway(owner, receiver, tenant):
    response = owner.client.post(
        "/api/chats/channels",
        {
            "channel": "whatsapp",
            "provider": "evolution",
            "name": "QR",
            "apiUrl": receiver.url + "/",
            "apiKey": "evo-key",
            "instance": "savdo-shop",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["apiUrl"] == receiver.url
    owner.client.post(f"/api/chats/channels/{body['id']}/webhook")
    (request,) = receiver.requests
    assert request["path"] == "/webhook/set/savdo-shop"
    assert request["headers"]["apikey"] == "evo-key"
    assert request["json"]["webhook"]["url"] == body["webhookUrl"]
    assert request["json"]["webhook"]["headers"] == {"X-Webhook-Secret": body["webhookSecret"]}
    assert request["json"]["webhook"]["events"] == ["MESSAGES_UPSERT", "MESSAGES_UPDATE"]


def test_whatsapp_cloud_registration_is_manual(owner, tenant):
    channel = channel_for(tenant, Provider.WHATSAPP_CLOUD)
    response = owner.client.post(f"/api/chats/channels/{channel.pk}/webhook")
    assert response.json()["webhookStatus"] == "manual"
    assert "Configuration" in response.json()["webhookError"]


def test_update_renames_and_rotates_credentials(owner, tenant):
    channel = channel_for(tenant)
    new_token = "7412345678:ZZZk3b2x9QwErTyUiOpAsDfGhJkLzXcVbNm"
    response = owner.client.patch(f"/api/chats/channels/{channel.pk}", {"name": "Новый бот", "botToken": new_token})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Новый бот"
    assert response.json()["webhookStatus"] == "pending"
    channel.refresh_from_db()
    assert channel.credentials()["bot_token"] == new_token
    assert channel.credentials()["webhook_secret"]  # kept
    response = owner.client.put(f"/api/chats/channels/{channel.pk}", {"name": "Bot 2"})
    assert response.status_code == 200
    assert Channel.objects.get().credentials()["bot_token"] == new_token


def test_disconnect_keeps_chats_and_stops_the_webhook(owner, tenant):
    chat = make_chat(tenant)
    channel = chat.channel
    response = owner.client.delete(f"/api/chats/channels/{channel.pk}")
    assert response.status_code == 200
    assert response.json()["status"] == "disconnected"
    channel.refresh_from_db()
    assert channel.secret_credentials == ""
    assert post_webhook(channel, payload("telegram", "text"), headers={}).status_code == 404
    assert owner.client.get(f"/api/chats/{chat.pk}").status_code == 200
    reply = owner.client.post(f"/api/chats/{chat.pk}/messages", {"text": "Салом"})
    assert reply.status_code == 409
    assert owner.client.get("/api/chats/channels?status=disconnected").json()["pagination"]["total"] == 1
    assert owner.client.get("/api/chats/channels?status=active").json()["pagination"]["total"] == 0
    assert owner.client.get("/api/chats/channels?status=nope").status_code == 400


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CASHIER, Role.AGENT])
def test_channels_are_for_owners_and_admins(tenant, role):
    member = Member(tenant, role)
    channel = channel_for(tenant)
    assert member.client.get("/api/chats/channels").status_code == 403
    assert member.client.post("/api/chats/channels", {"channel": "telegram"}).status_code == 403
    assert member.client.delete(f"/api/chats/channels/{channel.pk}").status_code == 403
    assert Member(tenant, Role.ADMIN).client.get("/api/chats/channels").status_code == 200


# --- chats list ------------------------------------------------------------------------------


def test_list_shape_is_the_documents(owner, tenant):
    tag = TagFactory(tenant=tenant, name="VIP", color="#FFD700")
    customer = CustomerFactory(
        tenant=tenant, display_name="Иван Петров", segment="VIP", whatsapp_jid="79001234567@s.whatsapp.net"
    )
    customer.tags.add(tag)
    chat = make_chat(tenant, provider=Provider.EVOLUTION, customer=customer, name="Иван Петров", messages=3)
    response = owner.client.get("/api/chats")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"chats", "pagination"}
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 1, "totalPages": 1}
    (row,) = body["chats"]
    assert set(row) == CHAT_KEYS
    assert (row["id"], row["name"], row["channel"], row["status"], row["unreadCount"]) == (
        chat.pk,
        "Иван Петров",
        "whatsapp",
        "open",
        3,
    )
    (client,) = row["organizationClients"]
    assert set(client) == CLIENT_KEYS
    assert client == {
        "id": customer.pk,
        "name": "Иван Петров",
        "clientType": "individual",
        "segment": "VIP",
        "status": "active",
        "whatsappJid": "79001234567@s.whatsapp.net",
        "telegramUserId": None,
        "tags": [{"id": tag.pk, "name": "VIP", "color": "#FFD700"}],
    }
    assert row["lastMessage"]["text"] == "Сообщение 3"
    assert row["lastMessage"]["direction"] == "in"
    assert row["lastMessageAt"].endswith("Z")


def test_list_is_ordered_by_last_message_and_paginated(owner, tenant):
    now = timezone.now()
    chats = [make_chat(tenant, last_message_at=now - timedelta(minutes=n)) for n in range(5)]
    body = owner.client.get("/api/chats?limit=2&page=2").json()
    assert [row["id"] for row in body["chats"]] == [chats[2].pk, chats[3].pk]
    assert body["pagination"] == {"page": 2, "limit": 2, "total": 5, "totalPages": 3}
    assert owner.client.get("/api/chats?limit=2&page=9").json()["chats"] == []


def test_list_filters(owner, tenant):
    manager = Member(tenant, Role.MANAGER)
    telegram = make_chat(tenant, name="Алишер")
    whatsapp = make_chat(tenant, provider=Provider.WHATSAPP_CLOUD, name="Нодира", assigned_to=manager.user)
    closed = make_chat(tenant, name="Закрытый", status=ChatStatus.CLOSED)
    read = make_chat(tenant, name="Прочитанный", messages=0)

    def ids(query):
        response = owner.client.get(f"/api/chats?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["chats"]}

    assert ids("channel=whatsapp") == {whatsapp.pk}
    assert ids("channel=telegram") == {telegram.pk, closed.pk, read.pk}
    assert ids(f"channelId={whatsapp.channel_id}") == {whatsapp.pk}
    assert ids("status=closed") == {closed.pk}
    assert ids("unread=true") == {telegram.pk, whatsapp.pk, closed.pk}
    assert ids("unread=false") == {read.pk}
    assert ids(f"assignedUserId={manager.user.pk}") == {whatsapp.pk}
    assert ids("assignedUserId=none") == {telegram.pk, closed.pk, read.pk}
    assert ids("search=нодир") == {whatsapp.pk}
    client = telegram.clients.get()
    assert ids(f"search={client.phone[1:]}") == {telegram.pk}
    # every word, from the chat or from its client: a full name finds the chat of that client
    client.first_name, client.last_name = "Person", "Retail"
    client.save()
    assert ids("search=Person%20Retail") == ids("search=retail%20PERSON") == {telegram.pk}
    assert ids("search=Person%20Нодира") == set()
    assert ids("search=%2B" + "%20".join([client.phone[1:4], client.phone[4:6], client.phone[6:]])) == {telegram.pk}
    assert ids(f"clientId={client.pk}") == {telegram.pk}
    for bad in ("channel=viber", "status=x", "unread=yes", "assignedUserId=abc", "channelId=0", "page=0", "limit=x"):
        response = owner.client.get(f"/api/chats?{bad}")
        assert response.status_code == 400, bad
        assert response.json()["code"] == "VALIDATION_ERROR"


def test_cashiers_do_not_see_chats_agents_do(tenant):
    chat = make_chat(tenant)
    assert Member(tenant, Role.CASHIER).client.get("/api/chats").status_code == 403
    agent = Member(tenant, Role.AGENT)
    assert agent.client.get("/api/chats").status_code == 200
    assert agent.client.post(f"/api/chats/{chat.pk}/read").status_code == 200


# --- one chat and its commands ---------------------------------------------------------------


def test_messages_are_paged_from_the_newest_and_read_oldest_first(owner, tenant):
    chat = make_chat(tenant, messages=5)
    body = owner.client.get(f"/api/chats/{chat.pk}/messages?limit=2").json()
    assert [m["text"] for m in body["messages"]] == ["Сообщение 4", "Сообщение 5"]
    assert body["pagination"] == {"page": 1, "limit": 2, "total": 5, "totalPages": 3}
    body = owner.client.get(f"/api/chats/{chat.pk}/messages?limit=2&page=3").json()
    assert [m["text"] for m in body["messages"]] == ["Сообщение 1"]
    message = owner.client.get(f"/api/chats/{chat.pk}/messages").json()["messages"][0]
    assert set(message) == {
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
    }
    assert (message["direction"], message["type"], message["status"], message["chatId"]) == (
        "in",
        "text",
        "received",
        chat.pk,
    )


def test_read_assign_close_reopen(owner, tenant):
    chat = make_chat(tenant, messages=2)
    agent = Member(tenant, Role.AGENT)
    body = owner.client.post(f"/api/chats/{chat.pk}/read").json()
    assert body["unreadCount"] == 0
    body = owner.client.post(f"/api/chats/{chat.pk}/assign", {"userId": agent.user.pk}).json()
    assert body["assignedUserId"] == agent.user.pk
    assert body["assignedUser"] == {"id": agent.user.pk, "name": agent.user.name, "email": agent.user.email}
    assert owner.client.post(f"/api/chats/{chat.pk}/assign", {"userId": None}).json()["assignedUser"] is None
    body = owner.client.post(f"/api/chats/{chat.pk}/close").json()
    assert body["status"] == "closed" and body["closedAt"] is not None
    response = owner.client.post(f"/api/chats/{chat.pk}/close")
    assert response.status_code == 409
    assert response.json() == {"message": "Чат уже закрыт.", "code": "CONFLICT"}
    assert owner.client.post(f"/api/chats/{chat.pk}/reopen").json()["status"] == "open"
    assert owner.client.post(f"/api/chats/{chat.pk}/reopen").status_code == 409


def test_assign_refuses_cashiers_strangers_and_other_stores(owner, tenant, other_tenant):
    chat = make_chat(tenant)
    for user in (Member(tenant, Role.CASHIER).user, Member(other_tenant, Role.MANAGER).user):
        response = owner.client.post(f"/api/chats/{chat.pk}/assign", {"userId": user.pk})
        assert response.status_code == 400
        assert set(response.json()["errors"]) == {"userId"}
    assert owner.client.post(f"/api/chats/{chat.pk}/assign", {}).status_code == 400
    chat.refresh_from_db()
    assert chat.assigned_to_id is None


def test_only_managers_and_above_assign(tenant):
    chat = make_chat(tenant)
    agent = Member(tenant, Role.AGENT)
    assert agent.client.post(f"/api/chats/{chat.pk}/assign", {"userId": agent.user.pk}).status_code == 403
    assert Chat.objects.get().assigned_to_id is None


def test_link_and_unlink_clients_by_hand(owner, tenant, other_tenant):
    chat = make_chat(tenant)
    auto = chat.clients.get()
    other = CustomerFactory(tenant=tenant, telegram_user_id="")
    body = owner.client.post(f"/api/chats/{chat.pk}/clients", {"clientId": other.pk}).json()
    assert [c["id"] for c in body["organizationClients"]] == sorted([auto.pk, other.pk])
    other.refresh_from_db()
    assert other.telegram_user_id == ""  # the person is still the auto client; `other` only shown
    assert owner.client.post(f"/api/chats/{chat.pk}/clients", {"clientId": other.pk}).status_code == 200
    assert ChatClient.objects.filter(chat=chat).count() == 2
    foreign = CustomerFactory(tenant=other_tenant)
    response = owner.client.post(f"/api/chats/{chat.pk}/clients", {"clientId": foreign.pk})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"clientId"}
    body = owner.client.delete(f"/api/chats/{chat.pk}/clients/{auto.pk}").json()
    assert [c["id"] for c in body["organizationClients"]] == [other.pk]
    chat.identity.refresh_from_db()
    assert chat.identity.customer_id == other.pk  # the person now reads as the client left on the chat
    assert owner.client.delete(f"/api/chats/{chat.pk}/clients/{auto.pk}").status_code == 404
    assert owner.client.delete(f"/api/chats/{chat.pk}/clients/{foreign.pk}").status_code == 404


def test_linking_fills_the_clients_messenger_id_when_the_person_has_none(owner, tenant):
    chat = make_chat(tenant)
    auto = chat.clients.get()
    owner.client.delete(f"/api/chats/{chat.pk}/clients/{auto.pk}")
    chat.identity.refresh_from_db()
    assert chat.identity.customer_id is None
    fresh = CustomerFactory(tenant=tenant)
    owner.client.post(f"/api/chats/{chat.pk}/clients", {"clientId": fresh.pk})
    fresh.refresh_from_db()
    chat.identity.refresh_from_db()
    assert (chat.identity.customer_id, fresh.telegram_user_id) == (fresh.pk, chat.identity.external_id)


# --- replies ---------------------------------------------------------------------------------


def test_reply_is_stored_queued_and_sent_after_the_commit(owner, tenant, receiver, django_capture_on_commit_callbacks):
    receiver.respond = lambda m, p, b: (200, {"ok": True, "result": {"message_id": 4321, "date": 1}})
    chat = make_chat(tenant, messages=2)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner.client.post(f"/api/chats/{chat.pk}/messages", {"text": "  Да, есть в наличии.  "})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["direction"], body["status"], body["text"]) == ("out", "queued", "Да, есть в наличии.")
    assert body["sender"]["id"] == owner.user.pk
    assert receiver.requests == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    (request,) = receiver.requests
    assert request["path"] == f"/bot{chat.channel.credentials()['bot_token']}/sendMessage"
    assert request["json"] == {"chat_id": int(chat.external_chat_id), "text": "Да, есть в наличии."}
    message = Message.objects.get(direction=Direction.OUTBOUND)
    assert (message.status, message.external_id, message.attempts) == (DeliveryStatus.SENT, "4321", 1)
    chat.refresh_from_db()
    assert (chat.unread_count, chat.last_message_id) == (0, message.pk)


@pytest.mark.parametrize(("text", "field"), [("", "text"), ("   ", "text"), ("x" * 4097, "text")])
def test_reply_refuses_empty_or_too_long_text(owner, tenant, text, field):
    chat = make_chat(tenant)
    response = owner.client.post(f"/api/chats/{chat.pk}/messages", {"text": text})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {field}
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


def test_reply_to_a_closed_chat_is_409(owner, tenant):
    chat = make_chat(tenant, status=ChatStatus.CLOSED)
    response = owner.client.post(f"/api/chats/{chat.pk}/messages", {"text": "Салом"})
    assert response.status_code == 409
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


def test_commands_are_logged(owner, tenant):
    from savdo.audit.models import ChangeLogEntry

    chat = make_chat(tenant)
    owner.client.post(f"/api/chats/{chat.pk}/close")
    entry = ChangeLogEntry.objects.get(object_type="messaging.chat", action="close")
    assert entry.actor_id == owner.user.pk
    assert entry.changes["status"] == ["open", "closed"]


def _warm(client, path) -> dict:
    """Read until a repeat is served from the answer cache (nothing read but the data versions)."""
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(path).json()
    assert work(ctx.captured_queries) == [], path
    return body


def test_warm_chat_answers_follow_a_webhook_a_reply_and_a_client_rename_at_once(tenant, owner, receiver):
    channel = channel_for(tenant, Provider.TELEGRAM)
    assert _warm(owner.client, "/api/chats")["chats"] == []

    assert post_webhook(channel, payload(Provider.TELEGRAM, "text")).status_code == 200
    [row] = _warm(owner.client, "/api/chats")["chats"]
    assert (row["unreadCount"], row["lastMessage"]["direction"]) == (1, "in")
    chat_path, messages_path = f"/api/chats/{row['id']}", f"/api/chats/{row['id']}/messages"
    _warm(owner.client, chat_path)
    assert len(_warm(owner.client, messages_path)["messages"]) == 1

    assert owner.client.post(f"{messages_path}", {"text": "Да, есть"}, format="json").status_code == 201
    assert [m["direction"] for m in owner.client.get(messages_path).json()["messages"]] == ["in", "out"]
    assert owner.client.get("/api/chats").json()["chats"][0]["lastMessage"]["text"] == "Да, есть"

    client = Chat.objects.get(pk=row["id"]).clients.get()
    client.display_name = "Дилшодбек Каримов"
    client.save()
    shown = owner.client.get(chat_path).json()["organizationClients"][0]
    assert "Дилшодбек" in shown["name"]
