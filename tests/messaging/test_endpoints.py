"""The generic endpoint checks (tests/generic.py) on every `/api/chats` route."""

import itertools

import pytest

from savdo.messaging.models import Channel, Chat, ChatClient, Message
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.customers.factories import CustomerFactory
from tests.generic import EndpointChecks
from tests.messaging.factories import channel_for, make_chat

_tokens = itertools.count(1)


class RowsKeyMixin:
    """tests/generic.py finds rows under `results`, `clients`, ...: this surface names them
    `chats` / `channels`; the check is the same."""

    rows_key = ""

    def test_list_excludes_other_tenant(self, tenant, other_tenant):
        mine = Member(tenant, self.actor_role)
        own = self.make_object(tenant)
        foreign = self.make_object(other_tenant)
        response = mine.client.get(self.list_path)
        assert response.status_code == 200, response.content[:300]
        ids = {row["id"] for row in response.json()[self.rows_key]}
        assert own.pk in ids
        assert foreign.pk not in ids


class TestChannelEndpoints(RowsKeyMixin, EndpointChecks):
    rows_key = "channels"
    model = Channel
    list_path = "/api/chats/channels"
    detail_path = "/api/chats/channels/{pk}"
    create_payload = staticmethod(
        lambda tenant: {
            "channel": "telegram",
            "provider": "telegram",
            "name": "Bot",
            "botToken": f"8{next(_tokens):09d}:AAHk3b2x9QwErTyUiOpAsDfGhJkLzXcVbNm",
        }
    )
    forbidden = [
        ("get", "/api/chats/channels", Role.MANAGER),
        ("post", "/api/chats/channels", Role.MANAGER),
        ("get", "/api/chats/channels/{pk}", Role.AGENT),
        ("patch", "/api/chats/channels/{pk}", Role.MANAGER),
        ("delete", "/api/chats/channels/{pk}", Role.CASHIER),
        ("post", "/api/chats/channels/{pk}/webhook", Role.MANAGER),
    ]

    def make_object(self, tenant):
        token = f"8{next(_tokens):09d}:AAHk3b2x9QwErTyUiOpAsDfGhJkLzXcVbNm"
        from tests.messaging.conftest import connect

        return connect(tenant, "telegram", bot_token=token)


class TestChatEndpoints(RowsKeyMixin, EndpointChecks):
    rows_key = "chats"
    model = Chat
    list_path = "/api/chats"
    detail_path = "/api/chats/{pk}"
    extra_paths = ["/api/chats/{pk}/messages"]
    forbidden = [
        ("get", "/api/chats", Role.CASHIER),
        ("get", "/api/chats/{pk}", Role.CASHIER),
        ("get", "/api/chats/{pk}/messages", Role.CASHIER),
        ("post", "/api/chats/{pk}/messages", Role.CASHIER),
        ("post", "/api/chats/{pk}/read", Role.CASHIER),
        ("post", "/api/chats/{pk}/close", Role.CASHIER),
        ("post", "/api/chats/{pk}/assign", Role.AGENT),
        ("post", "/api/chats/{pk}/clients", Role.CASHIER),
    ]

    def make_object(self, tenant):
        return make_chat(tenant)

    def test_messages_query_count_is_constant(self, tenant, settings):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        settings.SAVDO_RESPONSE_CACHE = False  # the queries of the view itself, not of a cached answer
        owner = Member(tenant, Role.OWNER)
        few = make_chat(tenant, messages=2)
        many = make_chat(tenant, messages=30)
        owner.client.get(f"/api/chats/{few.pk}/messages")
        with CaptureQueriesContext(connection) as first:
            owner.client.get(f"/api/chats/{few.pk}/messages")
        with CaptureQueriesContext(connection) as second:
            owner.client.get(f"/api/chats/{many.pk}/messages")
        assert len(first) == len(second)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/chats/{pk}/messages", {"text": "Салом"}),
        ("post", "/api/chats/{pk}/read", {}),
        ("post", "/api/chats/{pk}/assign", {"userId": None}),
        ("post", "/api/chats/{pk}/close", {}),
        ("post", "/api/chats/{pk}/reopen", {}),
        ("post", "/api/chats/{pk}/clients", {"clientId": 1}),
        ("delete", "/api/chats/{pk}/clients/{client}", {}),
        ("post", "/api/chats/channels/{channel}/webhook", {}),
        ("put", "/api/chats/channels/{channel}", {"name": "Мой"}),
    ],
)
def test_commands_on_another_stores_chat_are_404_and_change_nothing(tenant, other_tenant, method, path, body):
    mine = Member(tenant, Role.OWNER)
    foreign = make_chat(other_tenant, messages=2)
    client = foreign.clients.get()
    before = (
        list(Chat.objects.values()),
        list(Message.objects.values()),
        list(ChatClient.objects.values()),
        list(Channel.objects.values()),
    )
    url = path.format(pk=foreign.pk, client=client.pk, channel=foreign.channel_id)
    response = getattr(mine.client, method)(url, body, format="json")
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "NOT_FOUND"
    after = (
        list(Chat.objects.values()),
        list(Message.objects.values()),
        list(ChatClient.objects.values()),
        list(Channel.objects.values()),
    )
    assert after == before


def test_routes_answer_with_and_without_the_trailing_slash(tenant):
    owner = Member(tenant, Role.OWNER)
    chat = make_chat(tenant)
    channel_for(tenant)
    for path in ("/api/chats", "/api/chats/channels", f"/api/chats/{chat.pk}", f"/api/chats/{chat.pk}/messages"):
        assert owner.client.get(path).status_code == 200, path
        assert owner.client.get(path + "/").status_code == 200, path + "/"
    assert owner.client.post(f"/api/chats/{chat.pk}/read/").status_code == 200


def test_unknown_chat_ids_are_404_in_the_surfaces_shape(tenant):
    owner = Member(tenant, Role.OWNER)
    response = owner.client.get("/api/chats/999999")
    assert response.status_code == 404
    assert response.json() == {"message": "Чат не найден.", "code": "NOT_FOUND"}
    assert owner.client.get("/api/chats/abc").status_code == 404


def test_anonymous_commands_are_401(anon, tenant):
    chat = make_chat(tenant)
    assert anon.post(f"/api/chats/{chat.pk}/close").status_code == 401
    assert Chat.objects.get().status == "open"
    customer = CustomerFactory(tenant=tenant)
    assert anon.post(f"/api/chats/{chat.pk}/clients", {"clientId": customer.pk}).status_code == 401
