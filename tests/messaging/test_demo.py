"""The demo shop's messengers (savdo/demo/messaging.py): realistic, linked, idempotent."""

from django.utils import timezone

from savdo.customers.models import Customer, CustomerStatus
from savdo.demo.messaging import TELEGRAM_CHATS, WHATSAPP_CHATS, load_messaging
from savdo.messaging.models import Channel, Chat, ChatClient, Message, MessengerIdentity
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.customers.factories import CustomerFactory


def test_load_messaging_fills_the_shop_once(tenant):
    existing = [CustomerFactory(tenant=tenant) for _ in range(150)]
    manager = Member(tenant, Role.MANAGER)
    summary = load_messaging(tenant, now=timezone.now(), seed=7)
    chats = TELEGRAM_CHATS + WHATSAPP_CHATS
    assert summary["channels"] == 2 and summary["chats"] == chats
    assert Channel.objects.for_tenant(tenant).count() == 2
    assert Chat.objects.for_tenant(tenant).count() == chats
    assert ChatClient.objects.count() == MessengerIdentity.objects.count() == chats
    assert summary["messages"] == Message.objects.count() > chats
    assert summary["new_customers"] == Customer.objects.count() - len(existing) > 0
    linked = Customer.objects.filter(pk__in=[c.pk for c in existing]).exclude(whatsapp_jid="", telegram_user_id="")
    assert 0 < linked.count() <= len(existing)
    new = Customer.objects.exclude(pk__in=[c.pk for c in existing])
    assert set(new.values_list("status", flat=True)) == {CustomerStatus.POTENTIAL}
    assert set(new.values_list("source", flat=True)) == {"telegram", "whatsapp"}
    # Every WhatsApp person's JID is their customer's phone.
    for chat in Chat.objects.filter(kind="whatsapp").select_related("identity__customer")[:50]:
        assert chat.external_chat_id == chat.identity.customer.phone.lstrip("+") + "@s.whatsapp.net"
    texts = " ".join(Message.objects.values_list("text", flat=True))
    assert "Здравствуйте" in texts and "Assalomu alaykum" in texts
    # Every chat's last message is its newest.
    for chat in Chat.objects.all()[:50]:
        assert chat.last_message_id == Message.objects.filter(chat=chat).order_by("-id").first().pk
    # The API reads it.
    body = manager.client.get("/api/chats?limit=100").json()
    assert body["pagination"]["total"] == chats
    assert all(len(row["organizationClients"]) == 1 for row in body["chats"])
    # Idempotent.
    before = (Chat.objects.count(), Message.objects.count(), Customer.objects.count())
    assert load_messaging(tenant, seed=7)["chats"] == 0
    assert (Chat.objects.count(), Message.objects.count(), Customer.objects.count()) == before


def test_load_messaging_on_an_empty_shop(tenant):
    summary = load_messaging(tenant, seed=1)
    assert summary["chats"] == TELEGRAM_CHATS + WHATSAPP_CHATS
    assert summary["new_customers"] == summary["chats"]
