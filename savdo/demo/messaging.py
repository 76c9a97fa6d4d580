"""The demo shop's messengers: a Telegram bot and a WhatsApp number (behind a self-hosted Evolution
API gateway, as small shops connect theirs), with a few hundred chats from the last month in
Russian and Uzbek, linked to customers the shop already has and to new people who wrote first.

`load_messaging(tenant)` is idempotent (a second run finds the demo bot and adds nothing) and fast:
the channels go through `savdo.messaging.services.channel_connect` (sealed credentials, webhook
keys; no call to any provider), everything else is written in bulk, as the webhooks and replies
would have written it: a person's `MessengerIdentity`, the chat with its client, the messages with
their delivery statuses, the customers' `whatsapp_jid` / `telegram_user_id`. New people become
customers with source whatsapp/telegram and status potential, exactly as a first message makes them.
The demo channels' credentials are placeholders: a reply from the demo is stored at once and its
delivery then fails (Telegram refuses the token, nothing listens at the gateway's address), which
the message's status shows, until real ones are entered (`PUT /api/chats/channels/<id>`). Their
webhook addresses start with SAVDO_PUBLIC_URL when it is set.
"""

import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from savdo.catalog.models import Product
from savdo.customers.models import Customer, CustomerStatus
from savdo.demo.names import NamePool, phone_for
from savdo.messaging import services
from savdo.messaging.choices import (
    ChannelKind,
    ChatStatus,
    ClientLink,
    DeliveryStatus,
    Direction,
    MessageKind,
    Provider,
)
from savdo.messaging.models import Channel, Chat, ChatClient, Message, MessengerIdentity
from savdo.messaging.selectors import chat_search_text
from savdo.tenancy.models import Membership, Tenant
from savdo.tenancy.roles import SUPPORT_STAFF

DEMO_BOT_TOKEN = "7000000001:DEMO-savdo-shop-bot-placeholder-token"
DEMO_GATEWAY = "http://127.0.0.1:8080"
DEMO_INSTANCE = "savdo-demo"
DEMO_BASE_URL = "http://127.0.0.1:8000"
HISTORY_DAYS = 30
TELEGRAM_CHATS = 120
WHATSAPP_CHATS = 180
KNOWN_SHARE = 0.6  # chats with a customer the shop already had
# Numbers of new people: far past the indexes the shop generator gives its customers.
NEW_PHONE_OFFSET = 7_000_000

# Conversations: (direction, text), `{product}` and `{price}` filled from the shop's catalog.
RU_DIALOGUES = [
    [
        ("in", "Здравствуйте! {product} есть в наличии?"),
        ("out", "Здравствуйте! Да, есть. Цена {price} сум."),
        ("in", "Отложите, пожалуйста, 2 штуки, вечером заберу."),
        ("out", "Отложили, ждём вас до 21:00."),
        ("in", "Спасибо!"),
    ],
    [
        ("in", "Добрый день, вы доставляете на Юнусабад?"),
        ("out", "Добрый день! Да, доставка по Ташкенту от 200 000 сум бесплатно."),
        ("in", "А сколько стоит {product}?"),
        ("out", "{price} сум."),
    ],
    [
        ("in", "Подскажите, до скольки вы сегодня работаете?"),
        ("out", "Сегодня до 22:00, без перерыва."),
    ],
    [
        ("in", "Здравствуйте, вчера купил {product}, а срок годности почти вышел. Можно поменять?"),
        ("out", "Извините за неудобство! Принесите, пожалуйста, с чеком — обменяем."),
        ("in", "Хорошо, зайду после обеда."),
    ],
    [
        ("in", "Есть скидки для постоянных покупателей?"),
        ("out", "Да, по карте покупателя скидка 5%, а в выходные — акции на {product}."),
        ("in", "Отлично, спасибо"),
    ],
    [
        ("in", "Можно оплатить картой Humo при доставке?"),
        ("out", "Да, курьер принимает Humo, Uzcard и наличные."),
    ],
    [
        ("in", "Здравствуйте! Когда снова будет {product}?"),
        ("out", "Ожидаем поставку в четверг. Написать вам, когда придёт?"),
        ("in", "Да, пожалуйста"),
    ],
]
UZ_DIALOGUES = [
    [
        ("in", "Assalomu alaykum! {product} bormi?"),
        ("out", "Va alaykum assalom! Ha, bor. Narxi {price} so'm."),
        ("in", "Ikkita olib qo'ying, kechqurun olib ketaman."),
        ("out", "Olib qo'ydik, soat 21:00 gacha kutamiz."),
        ("in", "Rahmat!"),
    ],
    [
        ("in", "Salom, Chilonzorga yetkazib berasizlarmi?"),
        ("out", "Salom! Ha, Toshkent bo'ylab 200 000 so'mdan ortiq buyurtma bepul yetkaziladi."),
        ("in", "{product} qancha turadi?"),
        ("out", "{price} so'm."),
    ],
    [
        ("in", "Bugun do'kon soat nechagacha ishlaydi?"),
        ("out", "Bugun soat 22:00 gacha, tanaffussiz ishlaymiz."),
    ],
    [
        ("in", "Assalomu alaykum, kecha {product} oldim, muddati o'tib ketgan ekan. Almashtirsa bo'ladimi?"),
        ("out", "Uzr so'raymiz! Chek bilan olib keling, almashtirib beramiz."),
        ("in", "Xo'p, tushdan keyin boraman."),
    ],
    [
        ("in", "Doimiy mijozlar uchun chegirma bormi?"),
        ("out", "Ha, mijoz kartasi bilan 5% chegirma, dam olish kunlari {product} ga aksiya bor."),
        ("in", "Zo'r, rahmat"),
    ],
    [
        ("in", "Yetkazib berishda Uzcard bilan to'lasa bo'ladimi?"),
        ("out", "Ha, kuryer Humo, Uzcard va naqd pul qabul qiladi."),
    ],
    [
        ("in", "Salom! {product} qachon yana keladi?"),
        ("out", "Payshanba kuni kutyapmiz. Kelganda sizga yozaylikmi?"),
        ("in", "Ha, iltimos"),
    ],
]
FALLBACK_GOODS = [("Рис девзира 1 кг", 28000), ("Масло хлопковое 1 л", 24000), ("Чай зелёный 100 г", 12000)]


def load_messaging(tenant: Tenant, *, now: datetime | None = None, seed: int = 2025) -> dict[str, int]:
    """Fill `tenant` with a Telegram and a WhatsApp channel and their chats (see the module).
    Returns what it added (all zeros when the demo channels are already there)."""
    if Channel.objects.for_tenant(tenant).filter(provider=Provider.TELEGRAM, account_id="7000000001").exists():
        return {"channels": 0, "chats": 0, "messages": 0, "new_customers": 0}
    now = now or timezone.now()
    rng = random.Random(seed)
    with transaction.atomic():
        telegram = services.channel_connect(
            tenant=tenant,
            kind=ChannelKind.TELEGRAM,
            provider=Provider.TELEGRAM,
            name="Savdo Demo bot",
            webhook_base_url=settings.SAVDO_PUBLIC_URL or DEMO_BASE_URL,
            register=False,
            bot_token=DEMO_BOT_TOKEN,
        )
        whatsapp = services.channel_connect(
            tenant=tenant,
            kind=ChannelKind.WHATSAPP,
            provider=Provider.EVOLUTION,
            name="WhatsApp магазина",
            webhook_base_url=settings.SAVDO_PUBLIC_URL or DEMO_BASE_URL,
            register=False,
            api_url=DEMO_GATEWAY,
            api_key="demo-gateway-key",
            instance=DEMO_INSTANCE,
        )
        return _History(tenant, rng, now).write([(telegram, TELEGRAM_CHATS), (whatsapp, WHATSAPP_CHATS)])


class _History:
    def __init__(self, tenant: Tenant, rng: random.Random, now: datetime):
        self.tenant = tenant
        self.rng = rng
        self.now = now
        self.names = NamePool(seed=rng.randrange(10**6), size=200)
        goods = list(
            Product.objects.for_tenant(tenant)
            .filter(is_active=True)
            .order_by("id")
            .values_list("name", "sale_price")[:200]
        )
        self.goods = goods or FALLBACK_GOODS
        self.staff = list(
            Membership.objects.filter(tenant=tenant, is_active=True, role__in=SUPPORT_STAFF).values_list(
                "user_id", flat=True
            )
        )
        self.known = list(
            Customer.objects.for_tenant(tenant)
            .filter(whatsapp_jid="", telegram_user_id="")
            .exclude(phone="")
            .order_by("id")
            .only("id", "phone", "first_name", "last_name", "display_name", "company_name", "customer_type")[:2000]
        )
        rng.shuffle(self.known)

    def write(self, plan: list[tuple[Channel, int]]) -> dict[str, int]:
        people = []  # (channel, external id, name, phone, known customer or None, language)
        telegram_ids = iter(range(5_100_000_000, 5_200_000_000, 7919))
        new_index = NEW_PHONE_OFFSET + self.rng.randrange(1000)
        taken_phones = set(Customer.objects.for_tenant(self.tenant).values_list("phone", flat=True))
        for channel, count in plan:
            for _ in range(count):
                known = self.known.pop() if self.known and self.rng.random() < KNOWN_SHARE else None
                if known is not None:
                    name, phone = known.full_name, known.phone
                    language = "ru" if any("а" <= ch <= "я" for ch in name.lower()) else "uz"
                else:
                    first, last, _middle = self.names.person_parts(self.rng)
                    name = first if self.rng.random() < 0.3 else f"{first} {last}"
                    language = "ru" if any("а" <= ch <= "я" for ch in name.lower()) else "uz"
                    phone = phone_for(new_index)
                    while phone in taken_phones:
                        new_index += 1
                        phone = phone_for(new_index)
                    new_index += 1
                    taken_phones.add(phone)
                if channel.kind == ChannelKind.WHATSAPP:
                    external = f"{phone.lstrip('+')}@s.whatsapp.net"
                else:
                    external = str(next(telegram_ids))
                    phone = "" if known is None else phone
                people.append((channel, external, name, phone, known, language))
        customers = self._customers(people)
        identities = MessengerIdentity.objects.bulk_create(
            [
                MessengerIdentity(tenant=self.tenant, kind=channel.kind, external_id=external, customer=customer)
                for (channel, external, *_rest), customer in zip(people, customers, strict=True)
            ],
            batch_size=500,
        )
        chats, conversations = self._chats(people, identities)
        ChatClient.objects.bulk_create(
            [
                ChatClient(tenant=self.tenant, chat=chat, customer_id=identity.customer_id, link=ClientLink.AUTO)
                for chat, identity in zip(chats, identities, strict=True)
            ],
            batch_size=500,
        )
        messages = self._messages(chats, conversations)
        return {
            "channels": 2,
            "chats": len(chats),
            "messages": messages,
            "new_customers": sum(1 for person in people if person[4] is None),
        }

    def _customers(self, people) -> list[Customer]:
        new = []
        linked = []
        for channel, external, name, phone, known, _language in people:
            field = "whatsapp_jid" if channel.kind == ChannelKind.WHATSAPP else "telegram_user_id"
            if known is not None:
                setattr(known, field, external)
                linked.append((known, field))
                continue
            first, _, last = name.partition(" ")
            new.append(
                Customer(
                    tenant=self.tenant,
                    display_name=name,
                    first_name=first,
                    last_name=last,
                    phone=phone,
                    status=CustomerStatus.POTENTIAL,
                    source=channel.kind,
                    **{field: external},
                )
            )
        created = iter(Customer.objects.bulk_create(new, batch_size=500))
        for field in ("whatsapp_jid", "telegram_user_id"):
            rows = [customer for customer, name in linked if name == field]
            if rows:
                Customer.objects.filter(tenant=self.tenant).bulk_update(rows, [field])
        return [person[4] if person[4] is not None else next(created) for person in people]

    def _chats(self, people, identities):
        chats, conversations = [], []
        for (channel, external, name, phone, _known, language), identity in zip(people, identities, strict=True):
            dialogue = self.rng.choice(RU_DIALOGUES if language == "ru" else UZ_DIALOGUES)
            started = self.now - timedelta(days=self.rng.uniform(0, HISTORY_DAYS), minutes=self.rng.randrange(60))
            length = self.rng.randint(1, len(dialogue))
            steps = dialogue[:length]
            moments = []
            moment = started
            for _ in steps:
                moment = moment + timedelta(minutes=self.rng.randint(1, 40))
                moments.append(min(moment, self.now))
            old = (self.now - moments[-1]).days >= 3
            status = ChatStatus.CLOSED if old and steps[-1][0] == "out" and self.rng.random() < 0.6 else ChatStatus.OPEN
            trailing_in = 0
            for direction, _text in reversed(steps):
                if direction != "in":
                    break
                trailing_in += 1
            unread = trailing_in if status == ChatStatus.OPEN and (self.now - moments[-1]).days < 7 else 0
            chats.append(
                Chat(
                    tenant=self.tenant,
                    channel=channel,
                    kind=channel.kind,
                    external_chat_id=external,
                    identity=identity,
                    name=name,
                    username="",
                    phone=phone,
                    status=status,
                    closed_at=moments[-1] + timedelta(hours=1) if status == ChatStatus.CLOSED else None,
                    unread_count=unread,
                    last_message_at=moments[-1],
                    assigned_to_id=self.rng.choice(self.staff) if self.staff and self.rng.random() < 0.4 else None,
                    search_text=chat_search_text(name=name, username="", phone=phone),
                )
            )
            conversations.append((steps, moments))
        chats = Chat.objects.bulk_create(chats, batch_size=500)
        for chat, (_steps, moments) in zip(chats, conversations, strict=True):
            chat.created_at = moments[0]
        Chat.objects.filter(tenant=self.tenant).bulk_update(chats, ["created_at"])
        return chats, conversations

    def _messages(self, chats, conversations) -> int:
        rows = []
        for chat, (steps, moments) in zip(chats, conversations, strict=True):
            product, price = self.rng.choice(self.goods)
            values = {"product": product, "price": f"{int(price):,}".replace(",", " ")}
            for n, ((direction, text), moment) in enumerate(zip(steps, moments, strict=True)):
                outbound = direction == "out"
                is_last = n == len(steps) - 1
                if outbound:
                    status = DeliveryStatus.SENT if is_last and self.rng.random() < 0.5 else DeliveryStatus.READ
                else:
                    status = DeliveryStatus.RECEIVED
                rows.append(
                    Message(
                        tenant=self.tenant,
                        chat=chat,
                        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
                        kind=MessageKind.TEXT,
                        text=text.format(**values),
                        external_id=f"demo-{chat.external_chat_id.split('@')[0]}-{n}",
                        sender_id=chat.assigned_to_id if outbound else None,
                        status=status,
                        attempts=1 if outbound else 0,
                        sent_at=moment,
                    )
                )
        created = Message.objects.bulk_create(rows, batch_size=1000)
        for message in created:
            message.created_at = message.sent_at
        Message.objects.filter(tenant=self.tenant).bulk_update(created, ["created_at"])
        last = {}
        for message in created:
            last[message.chat_id] = message
        for chat in chats:
            chat.last_message = last[chat.pk]
        Chat.objects.filter(tenant=self.tenant).bulk_update(chats, ["last_message"])
        return len(created)
