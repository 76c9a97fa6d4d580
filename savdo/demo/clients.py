"""The demo shop's organization clients (document 002): tags, segments, responsible managers,
sources, and legal details for the companies, on the shop's existing customers.

    from savdo.demo.clients import load_clients
    load_clients(tenant)          # after the shop's customers and sales exist; a rerun adds nothing

Nothing here touches purchase statistics: the generator wrote them as checkout would have for the
shop's sales, so `totalRevenue`, `purchaseCount` and `averageCheck` on `/api/clients` agree with the
receipts. The segments are read off those statistics (the biggest spenders are `VIP`, the companies
`wholesale`, frequent buyers `regular`, other buyers `retail`), the tags too ("Постоянный" for
frequent buyers, "Новый" for those who have not bought yet), so what a manager sees makes sense.

Writes in bulk: one INSERT of the tags, one UPDATE per changed field set in batches, one INSERT of the
tag links, one INSERT of the change log. A store that already has the demo's tags is left alone.
"""

import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from savdo.audit.models import ChangeAction
from savdo.audit.services import change_record_many
from savdo.customers.models import Customer, CustomerSegment, CustomerType, Tag
from savdo.tenancy.models import Membership, Role, Tenant

# (name, colour): document 002's own tags first.
DEMO_TAGS = (
    ("VIP", "#FFD700"),
    ("Постоянный", "#4CAF50"),
    ("Оптовик", "#2196F3"),
    ("Новый", "#9C27B0"),
    ("Доставка", "#FF9800"),
    ("Telegram", "#03A9F4"),
)
SOURCES = ("store", "store", "store", "website", "whatsapp", "telegram", "referral", "instagram")
CITIES = ("Ташкент", "Ташкент", "Ташкент", "Самарканд", "Бухара", "Наманган", "Андижан")
VIP_SHARE = 0.05  # the top 5 % of spenders
REGULAR_PURCHASES = 3
# Companies with no sales yet, so that the companies' list shows legal details in every segment.
NEW_COMPANIES = (
    (
        "ООО «Ромашка Трейд»",
        "Общество с ограниченной ответственностью «Ромашка Трейд»",
        "Сергей Иванов",
        "Директор по закупкам",
    ),
    (
        "Yangi Bozor MChJ",
        "«Yangi Bozor» mas'uliyati cheklangan jamiyati",
        "Akmal Yusupov",
        "Ta'minot bo'limi boshlig'i",
    ),
    (
        "ООО «Техносервис»",
        "Общество с ограниченной ответственностью «Техносервис»",
        "Петр Сидоров",
        "Генеральный директор",
    ),
)
UPDATED_FIELDS = [
    "segment",
    "source",
    "assigned_to",
    "city",
    "country",
    "tax_id",
    "registration_number",
    "legal_address",
    "contact_person",
    "contact_position",
    "email_subscribed",
    "sms_subscribed",
    "telegram_user_id",
    "updated_at",
]


def _inn(rng: random.Random) -> str:
    return f"{rng.randint(300_000_000, 309_999_999)}"  # Uzbek STIR: nine digits starting with 3


def _segment(customer: Customer, vip_floor: Decimal) -> str:
    if customer.total_purchases_count and customer.total_purchases >= vip_floor:
        return CustomerSegment.VIP
    if customer.customer_type == CustomerType.COMPANY:
        return CustomerSegment.WHOLESALE
    if customer.total_purchases_count >= REGULAR_PURCHASES:
        return CustomerSegment.REGULAR
    if customer.total_purchases_count:
        return CustomerSegment.RETAIL
    return ""


def _legal_details(customer: Customer, rng: random.Random, contact: tuple[str, str] | None = None) -> None:
    customer.tax_id = customer.tax_id or _inn(rng)
    customer.registration_number = customer.registration_number or f"{rng.randint(10**12, 10**13 - 1)}"
    customer.legal_address = customer.legal_address or f"г. Ташкент, ул. Амира Темура, д. {rng.randint(1, 120)}"
    person, position = contact or (customer.person_name or "Директор", "Директор")
    customer.contact_person = customer.contact_person or person
    customer.contact_position = customer.contact_position or position


@transaction.atomic
def load_clients(tenant: Tenant, *, seed: int = 2025) -> dict[str, int]:
    """Give `tenant`'s customers document 002's tags, segments, managers and company details (see
    the module). Idempotent: a store that has the demo's first tag is left alone. Returns counts."""
    if Tag.objects.for_tenant(tenant).filter(name=DEMO_TAGS[0][0]).exists():
        return {"tags": 0, "clients": 0, "links": 0, "companies": 0}
    rng = random.Random(seed)
    managers = list(
        Membership.objects.filter(tenant=tenant, is_active=True, role__in=[Role.MANAGER, Role.ADMIN, Role.OWNER])
        .order_by("role", "id")
        .values_list("user_id", flat=True)
    )
    now = timezone.now()
    created_companies = _new_companies(tenant, rng, managers)
    customers = list(Customer.objects.for_tenant(tenant).order_by("id"))
    tags = {
        tag.name: tag
        for tag in Tag.objects.bulk_create([Tag(tenant=tenant, name=name, color=color) for name, color in DEMO_TAGS])
    }
    if not tags or tags["VIP"].pk is None:  # a backend that does not return ids
        tags = {tag.name: tag for tag in Tag.objects.for_tenant(tenant).filter(name__in=[n for n, _c in DEMO_TAGS])}
    spenders = sorted((c.total_purchases for c in customers if c.total_purchases_count), reverse=True)
    vip_floor = spenders[max(0, int(len(spenders) * VIP_SHARE) - 1)] if spenders else Decimal("Infinity")

    through = Customer.tags.through
    links = []
    for customer in customers:
        customer.segment = _segment(customer, vip_floor)
        customer.source = customer.source or rng.choice(SOURCES)
        if managers and (customer.segment in (CustomerSegment.VIP, CustomerSegment.WHOLESALE) or rng.random() < 0.3):
            customer.assigned_to_id = customer.assigned_to_id or rng.choice(managers)
        customer.city = customer.city or rng.choice(CITIES)
        customer.country = customer.country or "Узбекистан"
        customer.email_subscribed = bool(customer.email) and rng.random() < 0.6
        customer.sms_subscribed = bool(customer.phone) and rng.random() < 0.7
        if customer.source == "telegram" and not customer.telegram_user_id:
            customer.telegram_user_id = str(rng.randint(100_000_000, 999_999_999))
        if customer.customer_type == CustomerType.COMPANY:
            _legal_details(customer, rng)
        customer.updated_at = max(now, customer.created_at)  # companies made during this load are newer
        wanted = []
        if customer.segment == CustomerSegment.VIP:
            wanted.append("VIP")
        if customer.total_purchases_count >= REGULAR_PURCHASES:
            wanted.append("Постоянный")
        if customer.customer_type == CustomerType.COMPANY:
            wanted.append("Оптовик")
        if not customer.total_purchases_count:
            wanted.append("Новый")
        if rng.random() < 0.1:
            wanted.append("Доставка")
        if customer.source == "telegram":
            wanted.append("Telegram")
        links.extend(through(customer_id=customer.pk, tag_id=tags[name].pk) for name in wanted)
    Customer.objects.filter(tenant=tenant).bulk_update(customers, UPDATED_FIELDS, batch_size=1000)
    through.objects.bulk_create(links, batch_size=5000)
    change_record_many(
        model=Tag,
        tenant_id=tenant.pk,
        action=ChangeAction.CREATE,
        rows=[(tag.pk, tag.name, {"name": [None, tag.name], "color": [None, tag.color]}) for tag in tags.values()],
    )
    return {"tags": len(tags), "clients": len(customers), "links": len(links), "companies": created_companies}


def _new_companies(tenant: Tenant, rng: random.Random, managers: list[int]) -> int:
    """A few companies that have not bought yet, with every legal field filled, created through the
    clients service (as the clients API would)."""
    from savdo.customers.clients import client_create

    created = 0
    for index, (name, full_name, person, position) in enumerate(NEW_COMPANIES):
        email = f"info{index + 1}@demo-company.uz"
        if Customer.objects.for_tenant(tenant).filter(email=email).exists():
            continue
        customer = client_create(
            tenant=tenant,
            customer_type=CustomerType.COMPANY,
            display_name=name,
            company_name=full_name,
            email=email,
            phone=f"+99871{rng.randint(2000000, 2999999)}",
            website=f"https://demo-company-{index + 1}.uz",
            tax_id=_inn(rng),
            registration_number=f"{rng.randint(10**12, 10**13 - 1)}",
            legal_address=f"г. Ташкент, ул. Навои, д. {rng.randint(1, 60)}",
            contact_person=person,
            contact_position=position,
            contact_phone=f"+99890{rng.randint(1000000, 9999999)}",
            contact_email=f"contact{index + 1}@demo-company.uz",
            status="potential",
            source="website",
            segment=CustomerSegment.WHOLESALE,
            assigned_user_id=managers[0] if managers else None,
            notes="Запросили прайс-лист на оптовые поставки",
        )
        created += 1 if customer.pk else 0
    return created
