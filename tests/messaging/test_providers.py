"""The adapters on their own: payload details the webhook tests do not reach."""

import pytest

from savdo.messaging.choices import DeliveryStatus, MessageKind
from savdo.messaging.providers import adapter_for
from savdo.messaging.providers.base import (
    BadSignature,
    InboundMessage,
    MalformedPayload,
    MissingSignature,
    Skipped,
    StatusUpdate,
    check_sizes,
    timestamp,
)
from savdo.messaging.providers.evolution import normalize_jid, phone_of
from savdo.messaging.providers.whatsapp_cloud import signature
from tests.messaging.conftest import APP_SECRET, payload, payload_json


class FakeChannel:
    account_id = "7412345678"
    phone_number_id = "106540352242922"
    instance = "savdo-shop"


def test_whatsapp_signature_is_hmac_sha256_of_the_raw_body():
    body = payload("whatsapp_cloud", "text")
    adapter = adapter_for("whatsapp_cloud")
    good = signature(APP_SECRET, body)
    assert good.startswith("sha256=") and len(good) == 7 + 64
    adapter.authenticate(FakeChannel, {"app_secret": APP_SECRET}, {"X-Hub-Signature-256": good}, body)
    with pytest.raises(BadSignature):
        adapter.authenticate(FakeChannel, {"app_secret": APP_SECRET}, {"X-Hub-Signature-256": good}, body + b" ")
    with pytest.raises(BadSignature):
        adapter.authenticate(FakeChannel, {"app_secret": APP_SECRET}, {"X-Hub-Signature-256": good.upper()}, body)
    with pytest.raises(MissingSignature):
        adapter.authenticate(FakeChannel, {"app_secret": APP_SECRET}, {}, body)


def test_telegram_contact_of_oneself_gives_the_phone():
    data = payload_json("telegram", "text")
    message = data["message"]
    del message["text"]
    message["contact"] = {"phone_number": "998 90 123 45 67", "first_name": "Дилшод", "user_id": 7012345678}
    (event,) = adapter_for("telegram").parse(FakeChannel, data)
    assert isinstance(event, InboundMessage)
    assert (event.kind, event.contact.phone) == (MessageKind.CONTACT, "+998901234567")


def test_telegram_someone_elses_contact_is_not_their_phone():
    data = payload_json("telegram", "text")
    data["message"]["contact"] = {"phone_number": "+998901234567", "first_name": "Other", "user_id": 1}
    (event,) = adapter_for("telegram").parse(FakeChannel, data)
    assert event.contact.phone == ""


def test_telegram_channel_posts_and_callback_queries_are_skipped():
    adapter = adapter_for("telegram")
    assert adapter.parse(FakeChannel, {"update_id": 1, "channel_post": {}}) == [Skipped("group")]
    assert adapter.parse(FakeChannel, {"update_id": 2, "callback_query": {}}) == [Skipped("unsupported")]


def test_evolution_jids():
    assert normalize_jid("998971112233:12@s.whatsapp.net") == "998971112233@s.whatsapp.net"
    assert phone_of("998971112233@s.whatsapp.net") == "+998971112233"
    assert phone_of("123456789012345@lid") == ""
    data = payload_json("evolution", "messages_upsert__text")
    data["data"]["key"]["remoteJid"] = "123456789012345@lid"
    (event,) = adapter_for("evolution").parse(FakeChannel, data)
    assert (event.contact.external_id, event.contact.phone) == ("123456789012345@lid", "")
    data["data"]["key"]["remoteJid"] = "status@broadcast"
    assert adapter_for("evolution").parse(FakeChannel, data) == [Skipped("group")]


def test_evolution_event_names_and_numeric_acks():
    data = payload_json("evolution", "messages_update__delivery_ack")
    data["event"] = "MESSAGES_UPDATE"
    data["data"]["status"] = 4
    (event,) = adapter_for("evolution").parse(FakeChannel, data)
    assert event == StatusUpdate(external_id="BAE5C0FFEE1234567890", status=DeliveryStatus.READ)
    data["data"]["fromMe"] = False  # the person's message read on our side: not a delivery of ours
    assert adapter_for("evolution").parse(FakeChannel, data) == [Skipped("unsupported")]


def test_evolution_voice_and_extended_text():
    data = payload_json("evolution", "messages_upsert__text")
    data["data"]["message"] = {"audioMessage": {"mimetype": "audio/ogg; codecs=opus", "ptt": True, "seconds": 7}}
    (event,) = adapter_for("evolution").parse(FakeChannel, data)
    assert (event.kind, event.media["seconds"]) == (MessageKind.VOICE, 7)
    data["data"]["message"] = {"extendedTextMessage": {"text": "https://example.uz/tovar/15"}}
    (event,) = adapter_for("evolution").parse(FakeChannel, data)
    assert (event.kind, event.text) == (MessageKind.TEXT, "https://example.uz/tovar/15")


def test_whatsapp_batch_with_messages_and_statuses():
    data = payload_json("whatsapp_cloud", "text")
    value = data["entry"][0]["changes"][0]["value"]
    value["statuses"] = payload_json("whatsapp_cloud", "status_delivered")["entry"][0]["changes"][0]["value"][
        "statuses"
    ]
    events = adapter_for("whatsapp_cloud").parse(FakeChannel, data)
    assert [type(e).__name__ for e in events] == ["InboundMessage", "StatusUpdate"]


def test_whatsapp_reactions_are_skipped_and_wrong_object_is_malformed():
    data = payload_json("whatsapp_cloud", "text")
    message = data["entry"][0]["changes"][0]["value"]["messages"][0]
    message["type"] = "reaction"
    message["reaction"] = {"message_id": "wamid.X", "emoji": "👍"}
    assert adapter_for("whatsapp_cloud").parse(FakeChannel, data) == [Skipped("unsupported")]
    with pytest.raises(MalformedPayload):
        adapter_for("whatsapp_cloud").parse(FakeChannel, {"object": "page", "entry": []})


def test_sizes_and_timestamps():
    (event,) = adapter_for("telegram").parse(FakeChannel, payload_json("telegram", "text"))
    assert check_sizes([event]) == [event]
    assert timestamp("1732611600").timestamp() == 1732611600
    assert timestamp("soon") is None and timestamp(-5) is None and timestamp(10**15) is None
