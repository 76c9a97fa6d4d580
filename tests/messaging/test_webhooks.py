"""The webhooks end to end (through HTTP, as the providers post): one test per recorded payload,
authentication, replays, the clients that appear by themselves, and tenant isolation."""

import json

import pytest

from savdo.customers.models import Customer, CustomerStatus
from savdo.messaging import services
from savdo.messaging.choices import ChatStatus, DeliveryStatus, Direction, MessageKind, Provider, WebhookStatus
from savdo.messaging.models import Channel, Chat, ChatClient, DeliveryEvent, Message, MessengerIdentity
from tests.customers.factories import CustomerFactory
from tests.messaging.conftest import connect, payload, payload_json, post_webhook, signed_headers, webhook_path

TG = Provider.TELEGRAM
WA = Provider.WHATSAPP_CLOUD
EVO = Provider.EVOLUTION


def counts() -> dict:
    return {
        "customers": Customer.objects.count(),
        "identities": MessengerIdentity.objects.count(),
        "chats": Chat.objects.count(),
        "messages": Message.objects.count(),
        "deliveries": DeliveryEvent.objects.count(),
    }


def assert_ok(response, stored=None, duplicates=None, skipped=None):
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True
    for key, value in (("stored", stored), ("duplicates", duplicates), ("skipped", skipped)):
        if value is not None:
            assert body[key] == value, body


# --- Telegram --------------------------------------------------------------------------------


def test_telegram_text_creates_chat_and_client(tenant):
    channel = connect(tenant, TG)
    assert_ok(post_webhook(channel, payload(TG, "text")), stored=1)
    chat = Chat.objects.get()
    assert (chat.tenant_id, chat.channel_id, chat.kind) == (tenant.pk, channel.pk, "telegram")
    assert chat.external_chat_id == "7012345678"  # beyond 32 bits, kept exactly
    assert (chat.name, chat.username, chat.status, chat.unread_count) == ("Дилшод Каримов", "dilshod_k", "open", 1)
    customer = Customer.objects.get()
    assert customer.tenant_id == tenant.pk
    assert customer.full_name == "Дилшод Каримов"
    assert (customer.source, customer.status) == ("telegram", CustomerStatus.POTENTIAL)
    assert (customer.telegram_user_id, customer.whatsapp_jid, customer.phone) == ("7012345678", "", "")
    assert list(chat.clients.all()) == [customer]
    message = Message.objects.get()
    assert (message.direction, message.kind, message.external_id) == (Direction.INBOUND, MessageKind.TEXT, "1201")
    assert message.text == "Здравствуйте! Есть ли в наличии рис девзира 5 кг?"
    assert message.sent_at.timestamp() == 1732611600
    assert chat.last_message_id == message.pk


def test_telegram_photo_with_caption(tenant):
    channel = connect(tenant, TG)
    assert_ok(post_webhook(channel, payload(TG, "photo_with_caption")), stored=1)
    message = Message.objects.get()
    assert (message.kind, message.text) == (MessageKind.PHOTO, "Вот такой пакет, как на фото")
    assert message.media == {
        "file_id": "AgACAgIAAxkBAAIBa2dGm0_large",
        "file_unique_id": "AQADs8kxG_large",
        "width": 1280,
        "height": 960,
    }


def test_telegram_edited_message_changes_the_stored_text(tenant):
    channel = connect(tenant, TG)
    post_webhook(channel, payload(TG, "text"))
    assert_ok(post_webhook(channel, payload(TG, "edited_message")), stored=1)
    message = Message.objects.get()
    assert message.text == "Здравствуйте! Есть ли в наличии рис девзира 10 кг?"
    assert message.edited_at.timestamp() == 1732611660
    assert_ok(post_webhook(channel, payload(TG, "edited_message")), stored=0, duplicates=1)
    assert Message.objects.count() == 1


def test_telegram_edit_of_an_unknown_message_stores_nothing(tenant):
    channel = connect(tenant, TG)
    assert_ok(post_webhook(channel, payload(TG, "edited_message")), stored=0, skipped=1)
    assert Message.objects.count() == 0


@pytest.mark.parametrize("name", ["group_message", "echo_from_bot", "my_chat_member__blocked"])
def test_telegram_skipped_updates_store_nothing(tenant, name):
    channel = connect(tenant, TG)
    before = counts()
    assert_ok(post_webhook(channel, payload(TG, name)), stored=0, skipped=1)
    assert counts() == before


def test_telegram_name_from_first_name_only(tenant):
    channel = connect(tenant, TG)
    assert_ok(post_webhook(channel, payload(TG, "text_uzbek_no_last_name")), stored=1)
    assert Customer.objects.get().full_name == "Malika"
    assert Chat.objects.get().name == "Malika"


# --- WhatsApp Cloud --------------------------------------------------------------------------


def test_whatsapp_cloud_text_creates_chat_and_client_with_phone(tenant):
    channel = connect(tenant, WA)
    assert_ok(post_webhook(channel, payload(WA, "text")), stored=1)
    customer = Customer.objects.get()
    assert customer.full_name == "Иван Петров"
    assert (customer.source, customer.status) == ("whatsapp", CustomerStatus.POTENTIAL)
    assert (customer.whatsapp_jid, customer.phone) == ("79001234567@s.whatsapp.net", "+79001234567")
    chat = Chat.objects.get()
    assert (chat.external_chat_id, chat.phone, chat.kind) == ("79001234567@s.whatsapp.net", "+79001234567", "whatsapp")
    assert Message.objects.get().text == "Добрый день! Можно заказать доставку на завтра?"


def test_whatsapp_cloud_image_with_caption(tenant):
    channel = connect(tenant, WA)
    assert_ok(post_webhook(channel, payload(WA, "image_with_caption")), stored=1)
    message = Message.objects.get()
    assert (message.kind, message.text) == (MessageKind.PHOTO, "Вот этот чайник, есть такой?")
    assert message.media["id"] == "1482350389428187"
    assert message.media["mime_type"] == "image/jpeg"


def test_whatsapp_cloud_edit(tenant):
    channel = connect(tenant, WA)
    post_webhook(channel, payload(WA, "text"))
    assert_ok(post_webhook(channel, payload(WA, "edit")), stored=1)
    assert Message.objects.get().text == "Добрый день! Можно заказать доставку на послезавтра?"


@pytest.mark.parametrize("name", ["group_message", "smb_message_echo"])
def test_whatsapp_cloud_skipped(tenant, name):
    channel = connect(tenant, WA)
    before = counts()
    assert_ok(post_webhook(channel, payload(WA, name)), stored=0, skipped=1)
    assert counts() == before


def _outbound(channel, external_id, status=DeliveryStatus.SENT):
    post_webhook(
        channel,
        payload(WA if channel.provider == WA else EVO, "text" if channel.provider == WA else "messages_upsert__text"),
    )
    chat = Chat.objects.get(channel=channel)
    return Message.objects.create(
        tenant_id=channel.tenant_id,
        chat=chat,
        direction=Direction.OUTBOUND,
        text="Да, конечно",
        status=status,
        external_id=external_id,
    )


WA_OUT_ID = "wamid.HBgLNzkwMDEyMzQ1NjcVAgARGBJPVVRCT1VORDAwMDAwMDAwMQA="


def test_whatsapp_cloud_status_callback_moves_the_reply_forward_once(tenant):
    channel = connect(tenant, WA)
    reply = _outbound(channel, WA_OUT_ID)
    assert_ok(post_webhook(channel, payload(WA, "status_delivered")), stored=1)
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.DELIVERED
    event = DeliveryEvent.objects.get(source="callback")
    assert (event.message_id, event.status, event.external_id) == (reply.pk, "delivered", WA_OUT_ID)
    assert event.occurred_at.timestamp() == 1732612500
    assert_ok(post_webhook(channel, payload(WA, "status_delivered")), stored=0, duplicates=1)
    assert DeliveryEvent.objects.count() == 1


def test_whatsapp_cloud_failed_status_after_delivered_does_not_go_back(tenant):
    channel = connect(tenant, WA)
    reply = _outbound(channel, WA_OUT_ID, status=DeliveryStatus.DELIVERED)
    assert_ok(post_webhook(channel, payload(WA, "status_failed")), stored=1)
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.DELIVERED  # recorded, but the state machine does not go back
    assert DeliveryEvent.objects.get().detail == "131047 Re-engagement message"


def test_whatsapp_cloud_failed_status_fails_a_sent_reply(tenant):
    channel = connect(tenant, WA)
    reply = _outbound(channel, WA_OUT_ID)
    post_webhook(channel, payload(WA, "status_failed"))
    reply.refresh_from_db()
    assert (reply.status, reply.last_error) == (DeliveryStatus.FAILED, "131047 Re-engagement message")


def test_whatsapp_cloud_events_of_another_number_are_skipped(tenant):
    channel = connect(tenant, WA, phone_number_id="555000111")
    assert_ok(post_webhook(channel, payload(WA, "text")), stored=0, skipped=1)
    assert Chat.objects.count() == 0


def test_whatsapp_cloud_handshake(tenant, anon):
    channel = connect(tenant, WA)
    path = webhook_path(channel)
    query = {"hub.mode": "subscribe", "hub.verify_token": "verify-me-please", "hub.challenge": "1158201444"}
    response = anon.get(path, query)
    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")
    channel.refresh_from_db()
    assert channel.webhook_status == WebhookStatus.VERIFIED
    assert anon.get(path, {**query, "hub.verify_token": "wrong"}).status_code == 403
    assert anon.get(path, {"hub.mode": "subscribe", "hub.challenge": "1"}).status_code == 401
    assert anon.get(path, {**query, "hub.mode": "unsubscribe"}).status_code == 403


def test_get_on_a_provider_without_handshake_is_405(tenant, anon):
    channel = connect(tenant, TG)
    assert anon.get(webhook_path(channel)).status_code == 405


# --- Evolution API ---------------------------------------------------------------------------


def test_evolution_text_creates_chat_and_client(tenant):
    channel = connect(tenant, EVO)
    assert_ok(post_webhook(channel, payload(EVO, "messages_upsert__text")), stored=1)
    customer = Customer.objects.get()
    assert (customer.full_name, customer.phone) == ("Шахноза", "+998971112233")
    assert customer.whatsapp_jid == "998971112233@s.whatsapp.net"
    assert Message.objects.get().external_id == "3EB0A1B2C3D4E5F60718"


def test_evolution_image_with_caption(tenant):
    channel = connect(tenant, EVO)
    assert_ok(post_webhook(channel, payload(EVO, "messages_upsert__image_with_caption")), stored=1)
    message = Message.objects.get()
    assert (message.kind, message.text) == (MessageKind.PHOTO, "Вот такую смесь ищу")
    assert message.media["mimetype"] == "image/jpeg"


def test_evolution_edit(tenant):
    channel = connect(tenant, EVO)
    post_webhook(channel, payload(EVO, "messages_upsert__text"))
    assert_ok(post_webhook(channel, payload(EVO, "messages_upsert__edited")), stored=1)
    message = Message.objects.get()
    assert message.text == "Здравствуйте, а у вас есть детское питание Nutrilon 2?"
    assert message.edited_at.timestamp() == 1732613120


def test_evolution_delivery_ack(tenant):
    channel = connect(tenant, EVO)
    reply = _outbound(channel, "BAE5C0FFEE1234567890")
    assert_ok(post_webhook(channel, payload(EVO, "messages_update__delivery_ack")), stored=1)
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.DELIVERED


@pytest.mark.parametrize(
    "name", ["messages_upsert__group", "messages_upsert__from_me", "messages_upsert__stub", "connection_update"]
)
def test_evolution_skipped(tenant, name):
    channel = connect(tenant, EVO)
    before = counts()
    assert_ok(post_webhook(channel, payload(EVO, name)), stored=0, skipped=1)
    assert counts() == before


def test_evolution_event_of_another_instance_is_skipped(tenant):
    channel = connect(tenant, EVO, instance="other-shop")
    assert_ok(post_webhook(channel, payload(EVO, "messages_upsert__text")), stored=0, skipped=1)


# --- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize(("provider", "name"), [(TG, "text"), (WA, "text"), (EVO, "messages_upsert__text")])
def test_missing_signature_is_401_and_stores_nothing(tenant, provider, name):
    channel = connect(tenant, provider)
    before = counts()
    response = post_webhook(channel, payload(provider, name), headers={})
    assert response.status_code == 401
    assert response.json() == {"status": "error", "message": "Запрос не подписан."}
    assert counts() == before


@pytest.mark.parametrize(("provider", "name"), [(TG, "text"), (WA, "text"), (EVO, "messages_upsert__text")])
def test_wrong_signature_is_403_and_stores_nothing(tenant, provider, name):
    channel = connect(tenant, provider)
    body = payload(provider, name)
    before = counts()
    response = post_webhook(channel, body, headers=signed_headers(channel, body, secret="not-the-secret"))
    assert response.status_code == 403
    assert counts() == before


def test_whatsapp_signature_covers_the_raw_body(tenant):
    """A body changed after signing (even re-serialised JSON with the same meaning) is refused."""
    channel = connect(tenant, WA)
    body = payload(WA, "text")
    headers = signed_headers(channel, body)
    reserialised = json.dumps(json.loads(body)).encode()
    assert reserialised != body
    assert post_webhook(channel, reserialised, headers=headers).status_code == 403
    assert Chat.objects.count() == 0
    assert post_webhook(channel, body, headers=headers).status_code == 200


def test_malformed_but_signed_payload_is_400(tenant):
    channel = connect(tenant, TG)
    for body in (b"not json", b"[]", b'{"update_id": "x"}', b'{"update_id": 1, "message": {"chat": 5}}'):
        response = post_webhook(channel, body)
        assert response.status_code == 400, body
    assert counts()["messages"] == 0


def test_oversized_ids_are_400(tenant):
    channel = connect(tenant, EVO)
    data = payload_json(EVO, "messages_upsert__text")
    data["data"]["key"]["id"] = "X" * 500
    assert post_webhook(channel, data).status_code == 400


def test_unknown_or_disconnected_or_other_providers_key_is_404(tenant, anon):
    channel = connect(tenant, TG)
    body = payload(TG, "text")
    headers = signed_headers(channel, body)
    wrong_key = anon.generic(
        "POST", "/api/webhooks/telegram/" + "A" * 43, body, content_type="application/json", **headers
    )
    assert wrong_key.status_code == 404
    other_provider = anon.generic(
        "POST", f"/api/webhooks/evolution/{channel.webhook_key}", body, content_type="application/json", **headers
    )
    assert other_provider.status_code == 404
    services.channel_disconnect(channel=channel)
    assert post_webhook(channel, body, headers=headers).status_code == 404
    assert counts()["messages"] == 0


# --- replays ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "name"), [(TG, "text"), (WA, "text"), (EVO, "messages_upsert__text"), (TG, "photo_with_caption")]
)
def test_repeated_delivery_stores_nothing_new_and_answers_200(tenant, provider, name):
    channel = connect(tenant, provider)
    assert_ok(post_webhook(channel, payload(provider, name)), stored=1)
    before = counts()
    chat = Chat.objects.get()
    assert_ok(post_webhook(channel, payload(provider, name)), stored=0, duplicates=1)
    assert counts() == before
    chat.refresh_from_db()
    assert chat.unread_count == 1


# --- clients appear by themselves ------------------------------------------------------------


def test_second_message_links_to_the_same_chat_and_client(tenant):
    channel = connect(tenant, TG)
    post_webhook(channel, payload(TG, "text"))
    post_webhook(channel, payload(TG, "photo_with_caption"))
    assert counts()["customers"] == 1
    chat = Chat.objects.get()
    assert chat.unread_count == 2
    assert chat.last_message.external_id == "1202"


def test_known_customer_by_phone_from_another_surface_is_linked_not_duplicated(tenant):
    existing = CustomerFactory(tenant=tenant, phone="+79001234567", first_name="Иван", last_name="Петров")
    channel = connect(tenant, WA)
    post_webhook(channel, payload(WA, "text"))
    assert Customer.objects.count() == 1
    existing.refresh_from_db()
    assert existing.whatsapp_jid == "79001234567@s.whatsapp.net"
    assert existing.status == CustomerStatus.ACTIVE  # a known customer keeps their status
    assert list(Chat.objects.get().clients.all()) == [existing]


def test_known_customer_by_messenger_id_is_linked(tenant):
    existing = CustomerFactory(tenant=tenant, telegram_user_id="7012345678")
    channel = connect(tenant, TG)
    post_webhook(channel, payload(TG, "text"))
    assert Customer.objects.count() == 1
    assert list(Chat.objects.get().clients.all()) == [existing]


def test_one_person_on_two_whatsapp_channels_is_one_client(tenant):
    cloud = connect(tenant, WA)
    gateway = connect(tenant, EVO)
    post_webhook(cloud, payload(WA, "text"))
    data = payload_json(EVO, "messages_upsert__text")
    data["data"]["key"]["remoteJid"] = "79001234567@s.whatsapp.net"
    post_webhook(gateway, data)
    assert Customer.objects.count() == 1
    assert Chat.objects.count() == 2
    customer = Customer.objects.get()
    assert {chat.channel_id for chat in customer.chats.all()} == {cloud.pk, gateway.pk}


def test_a_customer_of_another_store_with_the_same_phone_is_not_linked(tenant, other_tenant):
    CustomerFactory(tenant=other_tenant, phone="+79001234567")
    channel = connect(tenant, WA)
    post_webhook(channel, payload(WA, "text"))
    mine = Customer.objects.for_tenant(tenant).get()
    assert mine.phone == "+79001234567"
    assert Customer.objects.for_tenant(other_tenant).get().whatsapp_jid == ""


def test_a_new_message_reopens_a_closed_chat(tenant):
    channel = connect(tenant, TG)
    post_webhook(channel, payload(TG, "text"))
    chat = services.chat_close(chat=Chat.objects.get())
    assert chat.status == ChatStatus.CLOSED
    post_webhook(channel, payload(TG, "photo_with_caption"))
    chat.refresh_from_db()
    assert (chat.status, chat.closed_at) == (ChatStatus.OPEN, None)


def test_a_deleted_client_is_found_or_created_again_for_a_new_chat(tenant):
    channel = connect(tenant, TG)
    post_webhook(channel, payload(TG, "text"))
    Customer.objects.all().delete()
    assert MessengerIdentity.objects.get().customer_id is None
    assert ChatClient.objects.count() == 0
    # Same chat: the message is stored, the chat shows no client until one is linked by hand.
    post_webhook(channel, payload(TG, "photo_with_caption"))
    assert Customer.objects.count() == 0
    # A new chat of the same person (another bot of the store) finds or creates a client again.
    other_bot = connect(tenant, TG, bot_token="7999999999:AAHk3b2x9QwErTyUiOpAsDfGhJkLzXcVbNm")
    post_webhook(other_bot, payload(TG, "text"))
    assert Customer.objects.count() == 1
    assert MessengerIdentity.objects.get().customer_id == Customer.objects.get().pk


def test_changes_are_logged(tenant):
    from savdo.audit.models import ChangeLogEntry

    channel = connect(tenant, WA)
    post_webhook(channel, payload(WA, "text"))
    entry = ChangeLogEntry.objects.get(object_type="customers.customer")
    assert (entry.tenant_id, entry.action, entry.actor_id) == (tenant.pk, "create", None)


# --- tenant isolation ------------------------------------------------------------------------


def test_a_stores_key_writes_only_into_that_store(tenant, other_tenant):
    mine = connect(tenant, WA)
    theirs = connect(other_tenant, WA, phone_number_id=mine.phone_number_id)
    # Same Meta number connected by two stores (a mistake, but possible): each key its own store.
    post_webhook(theirs, payload(WA, "text"))
    assert Chat.objects.for_tenant(tenant).count() == 0
    assert Customer.objects.for_tenant(tenant).count() == 0
    assert Chat.objects.for_tenant(other_tenant).count() == 1
    assert Message.objects.get().tenant_id == other_tenant.pk
    assert MessengerIdentity.objects.get().tenant_id == other_tenant.pk


def test_one_stores_secret_does_not_open_another_stores_key(tenant, other_tenant):
    mine = connect(tenant, TG)
    theirs = connect(other_tenant, TG)
    body = payload(TG, "text")
    response = post_webhook(theirs, body, headers=signed_headers(mine, body))
    assert response.status_code == 403
    assert Message.objects.count() == 0


def test_status_callbacks_touch_only_the_keys_store(tenant, other_tenant):
    mine = connect(tenant, WA)
    theirs = connect(other_tenant, WA)
    my_reply = _outbound(mine, WA_OUT_ID)
    post_webhook(theirs, payload(WA, "status_delivered"))
    my_reply.refresh_from_db()
    assert my_reply.status == DeliveryStatus.SENT
    assert DeliveryEvent.objects.get().tenant_id == other_tenant.pk


def test_channel_keys_are_unique_and_unguessable(tenant):
    keys = {
        connect(tenant, TG, bot_token=f"7{n:09d}:AAHk3b2x9QwErTyUiOpAsDfGhJkLzXcVbNm").webhook_key for n in range(5)
    }
    assert len(keys) == 5
    assert all(len(key) == 43 for key in keys)
    assert Channel.objects.filter(webhook_key__in=keys).count() == 5
