"""The demo shop's CRM (document 003): a year of deals in every status on its existing customers,
with their status history and activities, so the dashboard and the sales analytics show a
believable pipeline.

    from savdo.demo.crm import load_crm
    load_crm(tenant)                     # after the shop's customers exist; a rerun adds nothing

The rows are what `savdo.crm.services` would have written for the same history, written in bulk:
- every deal starts `new` (a `DealStatusChange` from "" and a `deal` activity "created"); most move
  to `in_progress`; older ones closed (`completed` or `cancelled`, some straight from `new`),
  stamped `closed_at` and given their closing `deal` activity; recent ones are mostly still open;
- around each deal, calls, e-mails and meetings with its customer, between its creation and its
  close (or now);
- the customers who never bought anything and have no deal become `potential` or `waiting` through
  `customer_change_status` (003's vocabulary; the rest keep their status).
"""

import math
import random
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from savdo.crm.choices import ActivityType, DealStatus
from savdo.crm.models import Activity, Deal, DealStatusChange
from savdo.crm.selectors import store_zone
from savdo.customers.models import Customer, CustomerStatus
from savdo.customers.services import customer_change_status
from savdo.tenancy.models import Membership, Role, Tenant

DAYS = 365
# Deals per 100 customers of the shop (at least 60, at most 1,500 deals in all).
DEALS_PER_100_CUSTOMERS = 30
PROSPECTS = 150  # customers without purchases or deals turned potential / waiting

TITLES = (
    "Ofis uchun kanselyariya tovarlari",
    "Korporativ bayram sovg'alari",
    "Restoran uchun oziq-ovqat yetkazib berish",
    "Поставка бытовой химии для офиса",
    "Оптовая закупка напитков",
    "Maktab uchun oshxona mahsulotlari",
    "Новогодние подарочные наборы",
    "Kafe uchun doimiy yetkazib berish",
    "Закупка упаковки и одноразовой посуды",
    "Mehmonxona uchun gigiena vositalari",
    "Поставка кондитерских изделий",
    "To'y uchun ichimliklar buyurtmasi",
    "Ежемесячная поставка молочной продукции",
    "Qurilish brigadasi uchun oziq-ovqat",
    "Оформление корпоративного договора",
)
NOTES = {
    ActivityType.CALL: (
        "Qo'ng'iroq: narxlar bo'yicha savollar",
        "Звонок: уточнили объём заказа",
        "Qo'ng'iroq: yetkazib berish muddati kelishildi",
        "Звонок: клиент просит скидку",
    ),
    ActivityType.EMAIL: (
        "Tijorat taklifi yuborildi",
        "Отправлен прайс-лист",
        "Shartnoma loyihasi yuborildi",
        "Отправлен счёт на предоплату",
    ),
    ActivityType.MEETING: (
        "Ofisda uchrashuv: namunalar ko'rsatildi",
        "Встреча: обсудили условия оплаты",
        "Uchrashuv: shartnoma imzolandi",
    ),
}


def _value(rng: random.Random):
    """A deal's value in sums: log-uniform from 300 thousand to 60 million, rounded to 10 thousand."""
    return round(math.exp(rng.uniform(math.log(300_000), math.log(60_000_000))), -4)


def _status(rng: random.Random, age_days: float) -> list[str]:
    """The statuses a deal created `age_days` ago went through, in order (the first is `new`)."""
    close_chance = min(0.92, age_days / 45)
    if rng.random() >= close_chance:
        return [DealStatus.NEW] if rng.random() < 0.35 else [DealStatus.NEW, DealStatus.IN_PROGRESS]
    if rng.random() < 0.63:
        return [DealStatus.NEW, DealStatus.IN_PROGRESS, DealStatus.COMPLETED]
    if rng.random() < 0.3:
        return [DealStatus.NEW, DealStatus.CANCELLED]
    return [DealStatus.NEW, DealStatus.IN_PROGRESS, DealStatus.CANCELLED]


def _moments(rng: random.Random, created: datetime, statuses: list[str], now: datetime) -> list[datetime]:
    """When the deal entered each status: creation, then a few days apart, never after now."""
    moments = [created]
    for _status_name in statuses[1:]:
        step = timedelta(days=rng.uniform(1, 20), hours=rng.uniform(0, 8))
        moments.append(min(moments[-1] + step, now - timedelta(minutes=len(moments))))
    return moments


def _deal_event_text(status: str, title: str, *, created: bool) -> str:
    # The same sentences as savdo.crm.services writes.
    if created:
        return _("Deal created: %(title)s") % {"title": title}
    if status == DealStatus.COMPLETED:
        return _("Deal completed: %(title)s") % {"title": title}
    return _("Deal cancelled: %(title)s") % {"title": title}


def _working_hours(moment: datetime, rng: random.Random, zone) -> datetime:
    local = timezone.localtime(moment, zone)
    return local.replace(hour=rng.randint(9, 18), minute=rng.randint(0, 59), second=rng.randint(0, 59))


@transaction.atomic
def load_crm(tenant: Tenant, *, seed: int = 2025, now: datetime | None = None) -> dict[str, int]:
    """Fill `tenant` with a year of CRM history on its existing customers (see the module).

    Idempotent: a store that has deals already is left alone. Returns how many rows it added.
    """
    if Deal.objects.for_tenant(tenant).exists():
        return {"deals": 0, "activities": 0, "status_changes": 0, "prospects": 0}
    rng = random.Random(seed)
    now = now or timezone.now()
    zone = store_zone(tenant)
    customers = list(Customer.objects.for_tenant(tenant).order_by("id").values_list("id", "total_purchases_count"))
    if not customers:
        return {"deals": 0, "activities": 0, "status_changes": 0, "prospects": 0}
    staff = list(
        Membership.objects.filter(tenant=tenant, is_active=True, role__in=[Role.OWNER, Role.ADMIN, Role.MANAGER])
        .order_by("created_at", "id")
        .values_list("user_id", flat=True)
    ) or [None]
    wanted = max(60, min(1500, len(customers) * DEALS_PER_100_CUSTOMERS // 100))
    # Buyers get most of the deals; a few customers are repeat clients.
    buyers = [cid for cid, purchases in customers if purchases] or [cid for cid, _n in customers]
    regulars = rng.sample(buyers, k=min(len(buyers), max(5, wanted // 12)))

    plans = []  # (deal, statuses, moments)
    for number in range(wanted):
        age = DAYS * (1 - math.sqrt(rng.random()))  # more recent deals than old ones
        created = _working_hours(now - timedelta(days=age), rng, zone)
        created = min(created, now - timedelta(hours=1))
        statuses = _status(rng, age)
        moments = _moments(rng, created, statuses, now)
        customer_id = rng.choice(regulars) if rng.random() < 0.35 else rng.choice(buyers)
        title = TITLES[number % len(TITLES)] if rng.random() < 0.5 else rng.choice(TITLES)
        deal = Deal(
            tenant=tenant,
            title=title,
            description="",
            value=_value(rng),
            status=statuses[-1],
            customer_id=customer_id,
            created_by_id=rng.choice(staff),
            created_at=moments[0],
            closed_at=moments[-1] if statuses[-1] in (DealStatus.COMPLETED, DealStatus.CANCELLED) else None,
        )
        plans.append((deal, statuses, moments))
    plans.sort(key=lambda plan: plan[0].created_at)
    deals = Deal.objects.bulk_create([deal for deal, _s, _m in plans])
    # `updated_at` is the moment of the last change, as the services leave it.
    Deal.objects.for_tenant(tenant).update(updated_at=Coalesce(F("closed_at"), F("created_at")))

    changes, activities = [], []
    with translation.override(tenant.language or None):
        for deal, (_deal, statuses, moments) in zip(deals, plans, strict=True):
            previous = ""
            for status, moment in zip(statuses, moments, strict=True):
                changes.append(
                    DealStatusChange(
                        tenant=tenant,
                        deal=deal,
                        from_status=previous,
                        to_status=status,
                        changed_by_id=deal.created_by_id,
                        changed_at=moment,
                    )
                )
                previous = status
            events = [(moments[0], _deal_event_text(DealStatus.NEW, deal.title, created=True))]
            if deal.closed_at is not None:
                events.append((deal.closed_at, _deal_event_text(deal.status, deal.title, created=False)))
            for moment, text in events:
                activities.append(
                    Activity(
                        tenant=tenant,
                        type=ActivityType.DEAL,
                        description=text,
                        customer_id=deal.customer_id,
                        deal=deal,
                        created_by_id=deal.created_by_id,
                        created_at=moment,
                    )
                )
            end = deal.closed_at or now
            for _n in range(rng.randint(1, 4)):
                kind = rng.choice([ActivityType.CALL, ActivityType.CALL, ActivityType.EMAIL, ActivityType.MEETING])
                moment = deal.created_at + (end - deal.created_at) * rng.random()
                activities.append(
                    Activity(
                        tenant=tenant,
                        type=kind,
                        description=rng.choice(NOTES[kind]),
                        customer_id=deal.customer_id,
                        created_by_id=deal.created_by_id,
                        created_at=moment,
                    )
                )

    # Prospects: customers who never bought and have no deal, in 003's pre-sale statuses.
    with_deals = {deal.customer_id for deal in deals}
    idle = [cid for cid, purchases in customers if not purchases and cid not in with_deals]
    prospects = rng.sample(idle, k=min(len(idle), PROSPECTS))
    for customer in Customer.objects.for_tenant(tenant).filter(pk__in=prospects).order_by("id"):
        status = CustomerStatus.WAITING if rng.random() < 0.3 else CustomerStatus.POTENTIAL
        customer_change_status(customer=customer, status=status)
        moment = _working_hours(now - timedelta(days=rng.uniform(1, 60)), rng, zone)
        activities.append(
            Activity(
                tenant=tenant,
                type=ActivityType.CALL,
                description=rng.choice(NOTES[ActivityType.CALL]),
                customer_id=customer.pk,
                created_by_id=rng.choice(staff),
                created_at=min(moment, now),
            )
        )

    DealStatusChange.objects.bulk_create(changes, batch_size=2000)
    Activity.objects.bulk_create(activities, batch_size=2000)
    return {
        "deals": len(deals),
        "activities": len(activities),
        "status_changes": len(changes),
        "prospects": len(prospects),
    }
