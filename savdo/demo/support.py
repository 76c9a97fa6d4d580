"""The demo support desk: two months of subscribers' complaints and questions at a store (made for
the demo telecom operator of `savdo.demo.telecom`, works for any store with customers and staff).

Tickets in every status (new, assigned, in progress, resolved, closed, reopened), most of them worked
within their service levels, some answered or resolved late, a few still open past their due date
(overdue), with staff replies, internal notes and the full history. Every ticket goes through
`savdo.support.services` (creation, each transition, each comment: the same rules, numbers,
deadlines and history rows as through the API), each step at its moment in the story (`opened_at` /
`at`). The texts are in Russian, the operator's language.

Idempotent: a store that already has tickets gets none. Call it after the telecom demo::

    from savdo.demo.support import load_support
    load_support(tenant=load_telecom(now=now)["tenant"], now=now)
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from savdo.customers.models import Customer
from savdo.support import services
from savdo.support.choices import TicketCategory, TicketPriority
from savdo.support.models import Ticket
from savdo.tenancy.models import Membership, Role, Tenant

HISTORY_DAYS = 60
WORK_HOURS = (9, 20)

# category -> [(subject, description, resolution)]
COMPLAINTS = {
    TicketCategory.INTERNET: [
        (
            "Не работает мобильный интернет",
            "С утра нет интернета, звонки проходят. Телефон перезагружал.",
            "Сброшены настройки APN, абонент подтвердил, что интернет работает.",
        ),
        (
            "Низкая скорость интернета",
            "Вечером скорость падает до 100 кбит/с, страницы не открываются.",
            "Сектор базовой станции был перегружен, добавлена ёмкость. Скорость восстановлена.",
        ),
        (
            "Пакет гигабайт закончился раньше срока",
            "Подключил 10 ГБ неделю назад, пишет, что трафик закончился.",
            "Трафик расходовался фоновыми обновлениями; объяснили, как отключить, начислили 2 ГБ бонусом.",
        ),
    ],
    TicketCategory.NETWORK: [
        (
            "Нет связи в селе",
            "В селе Кара-Суу пропала связь у всех соседей со вчерашнего дня.",
            "Авария на базовой станции устранена выездной бригадой.",
        ),
        (
            "Обрываются звонки",
            "При разговоре дольше минуты звонок обрывается.",
            "Абонент переведён на 4G-сеть, обрывов больше нет.",
        ),
    ],
    TicketCategory.BILLING: [
        (
            "Списали деньги дважды",
            "За тариф списали абонплату два раза в один день.",
            "Ошибочное списание возвращено на баланс.",
        ),
        (
            "Не зачислен платёж через терминал",
            "Оплатил 500 сом через терминал, деньги на баланс не пришли. Чек сохранил.",
            "Платёж найден у агрегатора и зачислен вручную.",
        ),
        (
            "Непонятное списание за подписку",
            "Списывают 15 сом в день за какую-то подписку, я её не подключал.",
            "Контентная подписка отключена, списания за месяц возвращены.",
        ),
    ],
    TicketCategory.SIM_CARD: [
        (
            "SIM-карта не определяется",
            "Телефон пишет «Нет SIM-карты», в другом телефоне то же самое.",
            "SIM-карта заменена в офисе с сохранением номера.",
        ),
        ("Заблокирован PIN", "Трижды ввёл неверный PIN, нужен PUK-код.", "PUK-код сообщён после проверки паспорта."),
    ],
    TicketCategory.TARIFF: [
        (
            "Смена тарифа",
            "Хочу перейти на тариф подешевле, на текущем много лишнего.",
            "Подобран и подключён тариф с меньшей абонплатой с первого числа.",
        ),
        (
            "Не начисляются минуты по тарифу",
            "После продления тарифа не появились минуты на другие сети.",
            "Пакет минут начислен после перезапуска услуги.",
        ),
    ],
    TicketCategory.ROAMING: [
        (
            "Не работает роуминг в Казахстане",
            "Нахожусь в Алматы, телефон не регистрируется в сети.",
            "Роуминг был не подключён на договоре; подключили, абонент в сети.",
        ),
    ],
    TicketCategory.NUMBER_PORTING: [
        (
            "Перенос номера от другого оператора",
            "Подал заявление на перенос неделю назад, номер всё ещё у старого оператора.",
            "Перенос завершён, номер обслуживается в нашей сети.",
        ),
    ],
    TicketCategory.ACCOUNT: [
        (
            "Переоформить договор",
            "Нужно переоформить номер на дочь, как это сделать?",
            "Договор переоформлен в офисе по паспортам обеих сторон.",
        ),
    ],
    TicketCategory.COMPLAINT: [
        (
            "Грубость оператора колл-центра",
            "Вчера оператор на линии разговаривал грубо и бросил трубку.",
            "Проведена беседа с сотрудником, абоненту принесены извинения.",
        ),
    ],
    TicketCategory.CONSULTATION: [
        (
            "Как подключить eSIM",
            "Купил новый телефон с eSIM, как перейти на неё?",
            "Выдан QR-код для eSIM, абонент активировал профиль.",
        ),
    ],
    TicketCategory.TECHNICAL: [
        (
            "Не приходят SMS",
            "Не приходят SMS с кодами от банка.",
            "Сброшен SMS-центр в настройках телефона, сообщения приходят.",
        ),
    ],
}
REPLIES = [
    "Здравствуйте! Заявка принята, разбираемся.",
    "Проверили ваш номер, передали вопрос техническим специалистам.",
    "Пожалуйста, перезагрузите телефон и сообщите, изменилось ли что-нибудь.",
    "Спасибо за ожидание, работы идут.",
]
NOTES = [
    "Абонент звонил повторно, просит ускорить.",
    "Похоже на массовую проблему в районе, проверить другие заявки.",
    "Нужна выписка из биллинга за месяц.",
]
REOPEN_REASONS = ["Абонент сообщил, что проблема повторилась.", "Проблема вернулась через два дня."]
CLOSE_COMMENT = "Абонент подтвердил решение."
PRIORITIES = [
    (TicketPriority.LOW, 0.2),
    (TicketPriority.MEDIUM, 0.45),
    (TicketPriority.HIGH, 0.25),
    (TicketPriority.CRITICAL, 0.1),
]

# Where each story stops (the steps after creation).
CLOSED = ("assign", "reply", "start_work", "resolve", "close")
RESOLVED = ("assign", "start_work", "reply", "resolve")
CLOSED_AFTER_REOPEN = ("assign", "start_work", "resolve", "reopen", "start_work", "resolve", "close")
REOPENED = ("assign", "start_work", "resolve", "close", "reopen")
IN_PROGRESS = ("assign", "start_work", "note")
ASSIGNED = ("take",)
NEW = ()


@dataclass
class _Story:
    opened: datetime
    customer: Customer
    contract: object | None
    category: str
    text: tuple[str, str, str]
    priority: str
    steps: tuple[str, ...]
    late: bool = False  # worked slower than the service level
    overdue: bool = False  # an open ticket whose given due date has passed
    moments: list[datetime] = field(default_factory=list)


def _members(tenant: Tenant) -> tuple[list[Membership], list[Membership]]:
    """(managers, agents) of the store: who hands out work and who works tickets."""
    rows = list(Membership.objects.filter(tenant=tenant, is_active=True).select_related("user", "tenant"))
    managers = [m for m in rows if m.role in (Role.MANAGER, Role.ADMIN, Role.OWNER)]
    managers.sort(key=lambda m: (m.role != Role.MANAGER, m.pk))
    agents = [m for m in rows if m.role == Role.AGENT] or managers
    return managers, agents


def _customers(tenant: Tenant, rng: random.Random) -> list[tuple[Customer, object | None]]:
    """(customer, one of their contracts or None): subscribers with contracts first, if the store is
    an operator."""
    from savdo.telecom.models import Contract

    contracts = {}
    for contract in Contract.objects.filter(tenant=tenant).order_by("id"):
        contracts.setdefault(contract.customer_id, contract)
    customers = list(Customer.objects.filter(tenant=tenant).order_by("id")[:500])
    rng.shuffle(customers)
    customers.sort(key=lambda c: c.pk not in contracts)
    return [(c, contracts.get(c.pk)) for c in customers]


def _stories(customers, now: datetime, zone: ZoneInfo, rng: random.Random) -> list[_Story]:
    today = now.astimezone(zone).date()
    stories = []
    categories = list(COMPLAINTS)
    for days_ago in range(HISTORY_DAYS, -1, -1):
        day = today - timedelta(days=days_ago)
        for _n in range(rng.choice((1, 2, 2, 3))):
            opened = datetime.combine(day, time(rng.randrange(*WORK_HOURS), rng.randrange(60)), tzinfo=zone)
            if opened >= now - timedelta(minutes=30):
                opened = now - timedelta(minutes=rng.randrange(30, 120))
            if days_ago > 7:
                steps = rng.choice((CLOSED, CLOSED, CLOSED, CLOSED, RESOLVED, CLOSED_AFTER_REOPEN))
            elif days_ago > 2:
                steps = rng.choice((CLOSED, RESOLVED, RESOLVED, IN_PROGRESS, REOPENED))
            else:
                steps = rng.choice((NEW, ASSIGNED, IN_PROGRESS, IN_PROGRESS, RESOLVED))
            customer, contract = customers[len(stories) % len(customers)]
            category = rng.choice(categories)
            priority = rng.choices([p for p, _ in PRIORITIES], [w for _, w in PRIORITIES])[0]
            stories.append(
                _Story(
                    opened,
                    customer,
                    contract if rng.random() < 0.8 else None,
                    category,
                    rng.choice(COMPLAINTS[category]),
                    priority,
                    steps,
                    late=rng.random() < 0.15,
                )
            )
    # Every status whatever the draws, and a few open tickets past their due date.
    for story, steps in zip(stories[-6:], (REOPENED, RESOLVED, IN_PROGRESS, ASSIGNED, NEW, NEW), strict=True):
        story.steps = steps
    for index in (-30, -25, -20, -12):
        if len(stories) >= -index:
            stories[index].steps, stories[index].overdue = rng.choice((IN_PROGRESS, ASSIGNED, NEW)), True
    return stories


def _moments(story: _Story, now: datetime, rng: random.Random) -> list[datetime]:
    """When each step happens: minutes to hours after the one before (more when the story is
    late), all of them before now."""
    gaps = []
    for step in story.steps:
        if step in ("assign", "take"):
            gap = rng.uniform(5, 50) * (12 if story.late else 1)
        elif step in ("reply", "note", "start_work"):
            gap = rng.uniform(3, 40)
        elif step == "resolve":
            gap = rng.uniform(30, 600) * (8 if story.late else 1)
        elif step == "close":
            gap = rng.uniform(60, 24 * 60)
        else:  # reopen
            gap = rng.uniform(12 * 60, 48 * 60)
        gaps.append(timedelta(minutes=gap))
    room = (now - timedelta(minutes=1) - story.opened) * 0.95
    total = sum(gaps, timedelta())
    scale = min(1.0, room / total) if total else 1.0
    moments, moment = [], story.opened
    for gap in gaps:
        moment = moment + gap * scale
        moments.append(moment)
    return moments


def _play(story: _Story, managers, agents, now: datetime, rng: random.Random) -> Ticket:
    manager = managers[0]
    agent = rng.choice(agents)
    subject, description, resolution = story.text
    due = story.opened + timedelta(hours=rng.choice((2, 6, 20))) if story.overdue else None
    ticket = services.ticket_create(
        tenant=manager.tenant,
        membership=manager,
        subject=subject,
        description=description,
        category=story.category,
        priority=story.priority,
        customer=story.customer,
        contract=story.contract,
        due_date=due,
        opened_at=story.opened,
    )
    for step, at in zip(story.steps, _moments(story, now, rng), strict=True):
        if step == "assign":
            ticket = services.ticket_assign(ticket=ticket, membership=manager, assignee=agent.user, at=at)
        elif step == "take":
            ticket = services.ticket_assign(ticket=ticket, membership=agent, assignee=agent.user, at=at)
        elif step == "start_work":
            ticket = services.ticket_start_work(ticket=ticket, membership=agent, at=at)
        elif step == "resolve":
            ticket = services.ticket_resolve(ticket=ticket, membership=agent, resolution=resolution, at=at)
        elif step == "close":
            ticket = services.ticket_close(ticket=ticket, membership=agent, comment=CLOSE_COMMENT, at=at)
        elif step == "reopen":
            ticket = services.ticket_reopen(ticket=ticket, membership=agent, comment=rng.choice(REOPEN_REASONS), at=at)
        elif step == "reply":
            services.ticket_comment_create(ticket=ticket, membership=agent, text=rng.choice(REPLIES), at=at)
        elif step == "note":
            services.ticket_comment_create(
                ticket=ticket, membership=manager, text=rng.choice(NOTES), is_internal=True, at=at
            )
    return ticket


def load_support(*, tenant: Tenant, now: datetime | None = None, seed: int = 2025) -> dict:
    """Fill `tenant`'s support desk with two months of tickets (see the module). Needs an active
    manager (or admin/owner) and customers; agents work the tickets if the store has any. Idempotent:
    a store with tickets gets none (`created` 0). Returns `{"created": 0|1, "tickets": n}`."""
    if Ticket.objects.for_tenant(tenant).exists():
        return {"created": 0, "tickets": 0}
    rng = random.Random(seed)
    now = now or timezone.now()
    try:
        zone = ZoneInfo(tenant.time_zone)
    except (ValueError, KeyError):
        zone = timezone.get_default_timezone()
    managers, agents = _members(tenant)
    customers = _customers(tenant, rng)
    if not managers or not customers:
        return {"created": 0, "tickets": 0}
    stories = _stories(customers, now, zone, rng)
    with transaction.atomic():
        for story in stories:
            _play(story, managers, agents, now, rng)
    return {"created": 1, "tickets": len(stories)}


__all__ = ["load_support"]
