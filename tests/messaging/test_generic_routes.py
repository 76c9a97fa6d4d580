"""The generic endpoint checks (tests/generic.py) on the chat commands the chats class does not
reach: reopening a chat and taking a client off it. Cashiers do not work with chats (403)."""

from savdo.messaging.choices import ChatStatus
from savdo.messaging.models import Chat, ChatClient
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.generic import EndpointChecks
from tests.messaging.factories import make_chat

REOPEN = "/api/chats/{pk}/reopen"
# The route is /api/chats/<chat id>/clients/<client id>: the second `{pk}` is the chat's client
# (see `_path`).
UNLINK = "/api/chats/{pk}/clients/{pk}"


def _chats_state():
    return list(Chat.objects.order_by("pk").values()), list(ChatClient.objects.order_by("pk").values())


class TestChatCommandEndpoints(EndpointChecks):
    model = Chat
    commands = [("post", REOPEN), ("delete", UNLINK)]
    forbidden = [("post", REOPEN, Role.CASHIER), ("delete", UNLINK, Role.CASHIER)]

    def make_object(self, tenant):
        return make_chat(tenant, status=ChatStatus.CLOSED)

    def _path(self, template, chat):
        if template == UNLINK:
            return f"/api/chats/{chat.pk}/clients/{chat.clients.get().pk}"
        return super()._path(template, chat)

    def _snapshot(self):
        return _chats_state()

    def test_another_stores_client_is_not_on_my_chat(self, tenant, other_tenant):
        mine = Member(tenant, Role.OWNER)
        chat = self.make_object(tenant)
        foreign = self.make_object(other_tenant)
        before = _chats_state()
        response = mine.client.delete(f"/api/chats/{chat.pk}/clients/{foreign.clients.get().pk}")
        assert response.status_code == 404, response.content
        assert _chats_state() == before

    def test_the_commands_work_for_an_agent(self, tenant):
        """The positive side of the role rule: support staff reopen and unlink."""
        agent = Member(tenant, Role.AGENT)
        chat = self.make_object(tenant)
        assert agent.client.post(self._path(REOPEN, chat)).json()["status"] == "open"
        response = agent.client.delete(self._path(UNLINK, chat))
        assert response.status_code == 200, response.content
        assert not ChatClient.objects.filter(chat=chat).exists()
