"""The demo telecom operator: a second demo store, a mobile operator in Bishkek (`+996`), with its own
logins (`demo-telecom` owner, `demo-telecom-manager`, `demo-telecom-agent`, `demo-telecom-agent2`,
`demo-telecom-cashier`; the demo password), for document 004's front end.

What it holds: tariffs (prepaid and postpaid, one archived), subscribers with Kyrgyz passports and
addresses, SIM stock (ICCIDs with valid check digits, IMSIs of MCC 437, operator numbers), contracts
in every status (draft, active, suspended, terminated) and a year of their money: top-ups at the
office, terminals and payment systems, monthly fees, extra services, a few refunds, failed and
cancelled attempts, and some payments still pending.

The rows are what the services would have written for the same story: the year is played contract
by contract in time order with the services' rules (a prepaid balance never below zero, a postpaid
one not below its credit limit; a subscriber tops up before a fee they could not pay, or the
contract is suspended), every balance move is a successful payment with its ledger entry and the
balance after it, so each contract's balance equals the sum of its ledger; contract numbers are the
store's per-year sequences (`CTR-YYYY-NNNNNN`, counters left where the services continue); a
terminated contract's SIM cards are back in stock. The story is written in bulk (a few thousand rows
in a second or two), with its own moments in `created_at`.

Idempotent: a second run finds the store by name and adds nothing. Call it as
`load_telecom(now=timezone.now())` (see `savdo demo`).
"""

import heapq
import random
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from savdo.accounts.models import User
from savdo.core.money import ZERO, money
from savdo.customers.models import Customer, CustomerStatus
from savdo.demo.bulk import IdAllocator, TableWriter, reset_sequences
from savdo.telecom.choices import (
    ContractStatus,
    EntryKind,
    PaymentMethod,
    PaymentStatus,
    SimStatus,
    TariffType,
    TransactionType,
)
from savdo.telecom.models import BalanceEntry, Contract, ContractNumberCounter, Payment, SimCard, Tariff
from savdo.tenancy.models import Membership, Role, Tenant

TELECOM_DEMO_NAME = "Savdo Demo: Бишкек Телеком"
TELECOM_DEMO_PASSWORD = "Demo-Savdo-2025"
TELECOM_STAFF = [
    ("demo-telecom", "Азамат", "Осмонов", Role.OWNER),
    ("demo-telecom-manager", "Айгуль", "Жумабекова", Role.MANAGER),
    ("demo-telecom-agent", "Нурлан", "Токтогулов", Role.AGENT),
    ("demo-telecom-agent2", "Асель", "Сыдыкова", Role.AGENT),
    ("demo-telecom-cashier", "Бекзат", "Абдыкадыров", Role.CASHIER),
]
HISTORY_DAYS = 365
FREE_SIMS = 80
D = Decimal

# name, description, type, monthly fee, minutes, SMS, data MB (None: unlimited), credit limit, priority, on offer
TARIFFS = [
    (
        "Старт",
        "Звонки внутри сети, 200 минут на другие сети и 5 ГБ",
        TariffType.PREPAID,
        250,
        200,
        50,
        5120,
        0,
        1,
        True,
    ),
    (
        "Безлимит 400",
        "Безлимитные звонки внутри сети, 300 минут на другие сети, 20 ГБ",
        TariffType.PREPAID,
        400,
        None,
        100,
        20480,
        0,
        2,
        True,
    ),
    ("Безлимит 650", "Безлимит на всё: звонки, SMS и интернет", TariffType.PREPAID, 650, None, None, None, 0, 3, True),
    ("Интернет 50 ГБ", "Для модема и планшета: 50 ГБ в месяц", TariffType.PREPAID, 500, 0, 0, 51200, 0, 4, True),
    ("Семейный", "600 минут, 200 SMS и 30 ГБ на всю семью", TariffType.PREPAID, 550, 600, 200, 30720, 0, 5, True),
    (
        "Бизнес 1000",
        "Постоплата для предпринимателей, кредитный лимит 1 500 сом",
        TariffType.POSTPAID,
        1000,
        1500,
        500,
        40960,
        1500,
        6,
        True,
    ),
    (
        "Корпоративный",
        "Постоплата для компаний, кредитный лимит 5 000 сом",
        TariffType.POSTPAID,
        1800,
        None,
        1000,
        102400,
        5000,
        7,
        True,
    ),
    ("Классик (архив)", "Старый тариф, больше не подключается", TariffType.PREPAID, 150, 100, 50, 1024, 0, 10, False),
]
TARIFF_WEIGHTS = [14, 30, 14, 8, 12, 6, 3, 5]

MALE = ["Азамат", "Бакыт", "Нурлан", "Эрлан", "Айбек", "Данияр", "Тимур", "Улан", "Мирлан", "Канат", "Бекжан", "Эмиль"]
FEMALE = ["Айгуль", "Асель", "Жылдыз", "Назира", "Айпери", "Гульнара", "Бермет", "Айжан", "Нургуль", "Чолпон", "Динара"]
SURNAMES = ["Осмонов", "Жумабеков", "Токтогулов", "Сыдыков", "Абдыкадыров", "Мамытов", "Исаков", "Турдубаев"]
SURNAMES += ["Асанов", "Кадыров", "Бейшеналиев", "Усенов", "Алымкулов", "Садыков", "Эшимов", "Акматов"]
FATHERS = ["Асан", "Бакыт", "Кубаныч", "Орозбек", "Жумабек", "Тилек", "Муса", "Эркин", "Самат", "Алмаз"]
STREETS = ["Чуй", "Манаса", "Токтогула", "Ленина", "Киевская", "Московская", "Абдрахманова", "Ахунбаева"]
STREETS += ["Жибек Жолу", "Исанова", "Боконбаева", "Фрунзе", "Раззакова", "Тыныстанова"]
DISTRICTS = ["Джал", "Асанбай", "Восток-5", "Аламедин-1", "Кок-Жар", "Тунгуч", "Улан-2", "Магистраль"]
ISSUERS = ["МКК 211011", "МКК 211021", "МКК 211031", "МКК 211041", "ГРС при ПКР"]
CONTACT_PREFIXES = ["550", "555", "557", "559", "700", "703", "705", "707", "770", "772", "775", "777", "220", "990"]
OWN_PREFIXES = ["550", "551", "552", "553", "554", "555", "556", "557", "558", "559", "990", "995", "998", "999"]
EXTRAS = [
    ("Дополнительный пакет 5 ГБ", 150),
    ("Роуминг: Казахстан", 300),
    ("Звонки на международные номера", 120),
    ("Пакет 100 минут на другие сети", 100),
]
MONTHS = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь"]
MONTHS += ["ноябрь", "декабрь"]
ONLINE_METHODS = [PaymentMethod.TERMINAL, PaymentMethod.ELSOM, PaymentMethod.O_DENGI, PaymentMethod.MBANK]
ONLINE_METHODS += [PaymentMethod.MEGAPAY, PaymentMethod.BALANCE_KG, PaymentMethod.MOBILE, PaymentMethod.CARD]


PAYMENT_COLUMNS = [
    "id",
    "tenant_id",
    "contract_id",
    "transaction_type",
    "payment_method",
    "amount",
    "status",
    "transaction_id",
    "description",
    "created_by_id",
    "processed_by_id",
    "processed_at",
    "created_at",
    "updated_at",
]
ENTRY_COLUMNS = [
    "id",
    "tenant_id",
    "contract_id",
    "kind",
    "amount",
    "balance_after",
    "payment_id",
    "actor_id",
    "reason",
    "created_at",
]


def luhn_complete(body: str) -> str:
    """`body` followed by its Luhn check digit."""
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return body + str((10 - total % 10) % 10)


@contextmanager
def _own_timestamps(*model_classes):
    """Let a bulk insert keep the story's `created_at`/`updated_at` (auto_now fields off)."""
    saved = []
    for model in model_classes:
        for name in ("created_at", "updated_at"):
            try:
                f = model._meta.get_field(name)
            except Exception:
                continue
            saved.append((f, f.auto_now, f.auto_now_add))
            f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


@dataclass
class _Plan:
    """One contract's story."""

    customer: Customer
    tariff: Tariff
    status: str
    start: datetime
    end: datetime  # the story runs until here (now, the suspension or the termination)
    balance: Decimal = ZERO
    sims: list = field(default_factory=list)
    contract: Contract | None = None
    last_move: datetime | None = None


class TelecomDemo:
    def __init__(self, *, seed: int, now: datetime, subscribers: int):
        self.rng = random.Random(seed)
        self.now = now
        self.subscribers = subscribers
        self.zone = ZoneInfo("Asia/Bishkek")
        self.since = now - timedelta(days=HISTORY_DAYS)
        self.txn_ids: set[str] = set()
        self.payments: list[Payment] = []
        self.entries: list[tuple[Payment, BalanceEntry]] = []

    # --- the store, its staff and offer ---------------------------------------------------------

    def tenant_and_staff(self) -> None:
        self.tenant = Tenant.objects.create(
            name=TELECOM_DEMO_NAME, phone_region="KG", time_zone="Asia/Bishkek", currency="KGS", language="ru"
        )
        Tenant.objects.filter(pk=self.tenant.pk).update(created_at=self.since)
        password = make_password(TELECOM_DEMO_PASSWORD)
        self.staff: dict[str, User] = {}
        for username, first, last, role in TELECOM_STAFF:
            user = User.objects.filter(username=username).first() or User.objects.create(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@example.kg",
                password=password,
                date_joined=self.since,
            )
            Membership.objects.create(user=user, tenant=self.tenant, role=role)
            self.staff[role] = self.staff.get(role) or user
        self.office = [self.staff[Role.AGENT], self.staff[Role.CASHIER], self.staff[Role.MANAGER]]

    def tariffs(self) -> None:
        rows = [
            Tariff(
                tenant=self.tenant,
                name=name,
                description=description,
                tariff_type=kind,
                monthly_fee=D(fee),
                minutes=minutes,
                sms=sms,
                data_mb=data,
                credit_limit=D(credit),
                priority=priority,
                is_active=active,
                created_at=self.since,
                updated_at=self.since if active else self.since + timedelta(days=120),
            )
            for name, description, kind, fee, minutes, sms, data, credit, priority, active in TARIFFS
        ]
        with _own_timestamps(Tariff):
            self.tariff_rows = Tariff.objects.bulk_create(rows)

    # --- subscribers ----------------------------------------------------------------------------

    def _unique_phone(self, prefixes: list[str], taken: set[str]) -> str:
        while True:
            phone = f"+996{self.rng.choice(prefixes)}{self.rng.randrange(10**6):06d}"
            if phone not in taken:
                taken.add(phone)
                return phone

    def customers(self) -> None:
        rng = self.rng
        phones: set[str] = set()
        documents: set[str] = set()
        rows = []
        for n in range(self.subscribers):
            female = rng.random() < 0.48
            first = rng.choice(FEMALE if female else MALE)
            surname = rng.choice(SURNAMES)
            last = surname + ("а" if female else "")
            father = rng.choice(FATHERS)
            middle = father + ("овна" if female else "ович")
            roll = rng.random()
            if roll < 0.86:
                kind, prefix = "passport", "ID"
            elif roll < 0.94:
                kind, prefix = "passport", "AN"
            elif roll < 0.97:
                kind, prefix = "foreign_passport", "N"
            else:
                kind, prefix = "residence_permit", "VK"
            number = f"{prefix}{rng.randrange(10**7):07d}"
            while number in documents:
                number = f"{prefix}{rng.randrange(10**7):07d}"
            documents.add(number)
            if rng.random() < 0.7:
                address = f"г. Бишкек, ул. {rng.choice(STREETS)} {rng.randint(1, 220)}, кв. {rng.randint(1, 120)}"
            else:
                address = f"г. Бишкек, мкр. {rng.choice(DISTRICTS)}, д. {rng.randint(1, 60)}, кв. {rng.randint(1, 90)}"
            created = self._local_moment(self.since.date() + timedelta(days=rng.randrange(HISTORY_DAYS - 10)))
            rows.append(
                Customer(
                    tenant=self.tenant,
                    first_name=first,
                    last_name=last,
                    middle_name=middle,
                    phone=self._unique_phone(CONTACT_PREFIXES, phones),
                    email=f"subscriber{n + 1}@mail.kg" if rng.random() < 0.45 else "",
                    document_type=kind,
                    document_number=number,
                    passport_issued_by=rng.choice(ISSUERS) if kind == "passport" else "",
                    passport_issue_date=date(rng.randint(2012, 2024), rng.randint(1, 12), rng.randint(1, 28)),
                    address=address,
                    city="Бишкек",
                    country="Кыргызстан",
                    source="telecom",
                    status=CustomerStatus.ACTIVE,
                    created_at=created,
                    updated_at=created,
                )
            )
        with _own_timestamps(Customer):
            self.customer_rows = Customer.objects.bulk_create(rows)

    # --- contracts and SIM cards ----------------------------------------------------------------

    def _local_moment(self, day: date, earliest: int = 9, latest: int = 20) -> datetime:
        local = datetime.combine(day, time(self.rng.randint(earliest, latest), self.rng.randrange(60)), self.zone)
        return min(local, self.now - timedelta(minutes=5))

    def plans(self) -> list[_Plan]:
        rng = self.rng
        plans = []
        for customer in self.customer_rows:
            count = 1 if rng.random() < 0.85 else (2 if rng.random() < 0.8 else 3)
            for _n in range(count):
                roll = rng.random()
                status = (
                    ContractStatus.TERMINATED
                    if roll < 0.10
                    else ContractStatus.SUSPENDED
                    if roll < 0.17
                    else ContractStatus.DRAFT
                    if roll < 0.21
                    else ContractStatus.ACTIVE
                )
                tariff = rng.choices(self.tariff_rows, weights=TARIFF_WEIGHTS)[0]
                if status == ContractStatus.DRAFT:
                    start = max(customer.created_at, self.now - timedelta(days=rng.randint(1, 10)))
                else:
                    start = customer.created_at + timedelta(hours=rng.randint(0, 2))
                start = min(start, self.now - timedelta(hours=2))
                end = self.now
                if status == ContractStatus.TERMINATED:
                    span = max((self.now - start).days - 2, 1)
                    end = start + timedelta(days=rng.randint(min(30, span), span), hours=rng.randint(1, 5))
                    end = min(end, self.now - timedelta(hours=1))
                plans.append(_Plan(customer=customer, tariff=tariff, status=status, start=start, end=end))
        plans.sort(key=lambda plan: plan.start)
        return plans

    # --- money ------------------------------------------------------------------------------------

    def _txn(self, moment: datetime) -> str:
        while True:
            candidate = f"TXN-{moment.astimezone(self.zone):%Y%m%d}-{self.rng.getrandbits(40):010X}"
            if candidate not in self.txn_ids:
                self.txn_ids.add(candidate)
                return candidate

    def _payment(
        self, plan: _Plan, moment: datetime, kind: str, amount: Decimal, method: str, description: str, *, status: str
    ) -> Payment:
        by = self.rng.choice(self.office) if method == PaymentMethod.CASH else None
        payment = Payment(
            tenant=self.tenant,
            contract=plan.contract,
            transaction_type=kind,
            payment_method=method,
            amount=money(amount),
            status=status,
            transaction_id=self._txn(moment),
            description=description,
            created_by=by,
            processed_by=by if status == PaymentStatus.SUCCESS else None,
            processed_at=moment if status in (PaymentStatus.SUCCESS, PaymentStatus.REFUNDED) else None,
            created_at=moment,
            updated_at=moment,
        )
        self.payments.append(payment)
        return payment

    def _move(self, plan: _Plan, moment, kind, amount, method, description) -> Payment:
        """A successful payment that moves the balance, with its ledger entry."""
        delta = amount if kind == TransactionType.PAYMENT else -amount
        plan.balance = money(plan.balance + delta)
        assert plan.balance >= self._floor(plan), "the demo broke the balance rule"
        payment = self._payment(plan, moment, kind, amount, method, description, status=PaymentStatus.SUCCESS)
        entry_kind = EntryKind.TOP_UP if kind == TransactionType.PAYMENT else EntryKind.CHARGE
        self._entry(plan, payment, entry_kind, delta, moment, description or payment.transaction_id)
        return payment

    def _entry(self, plan: _Plan, payment: Payment, kind: str, delta: Decimal, moment, reason: str) -> None:
        plan.last_move = moment
        entry = BalanceEntry(
            tenant=self.tenant,
            contract=plan.contract,
            kind=kind,
            amount=money(delta),
            balance_after=plan.balance,
            actor=payment.processed_by,
            reason=reason[:500],
            created_at=moment,
        )
        self.entries.append((payment, entry))

    def _floor(self, plan: _Plan) -> Decimal:
        return -plan.tariff.credit_limit if plan.tariff.tariff_type == TariffType.POSTPAID else ZERO

    def _top_up_amount(self, at_least: Decimal = ZERO) -> Decimal:
        amount = D(self.rng.choice([100, 150, 200, 300, 400, 500, 500, 700, 1000]))
        while amount < at_least:
            amount += D(100)
        return amount

    def _method(self) -> str:
        return PaymentMethod.CASH if self.rng.random() < 0.3 else self.rng.choice(ONLINE_METHODS)

    def story(self, plan: _Plan) -> None:
        """Play a contract's year in time order: the fee every 30 days from its start, top-ups and
        extras between fees (an extra only when the balance allows it; some are refunded), a top-up
        (prepaid) or an invoice payment (postpaid) right before a fee the balance could not take. A
        contract whose plan says suspended stops at a fee it cannot pay, or after a recent one."""
        rng = self.rng
        fee = plan.tariff.monthly_fee
        prepaid = plan.tariff.tariff_type == TariffType.PREPAID
        # Activation: a first top-up at the office covers the first month.
        self._move(plan, plan.start, TransactionType.PAYMENT, self._top_up_amount(fee), PaymentMethod.CASH, "")
        suspend_from = self.now - timedelta(days=rng.randint(5, 50))
        intents: list[tuple] = []  # a heap of (moment, order, what, data)
        order = 0

        def plan_intent(moment, what, data=None):
            nonlocal order
            order += 1
            heapq.heappush(intents, (moment, order, what, data))

        window_start = plan.start
        month = 0
        while True:
            due = plan.start + timedelta(days=30 * month, minutes=30)
            if due > plan.end:
                break
            quiet_until = min(due - timedelta(hours=1), plan.end)
            for _n in range(rng.choice([0, 1, 1, 2]) if month else 0):
                plan_intent(window_start + (due - window_start) * rng.uniform(0.05, 0.95), "top_up")
            while intents and intents[0][0] < quiet_until:
                moment, _order, what, data = heapq.heappop(intents)
                if what == "top_up":
                    method = self._method()
                    if rng.random() < 0.04 and method != PaymentMethod.CASH:  # a refused card or wallet payment
                        self._payment(
                            plan, moment, TransactionType.PAYMENT, self._top_up_amount(), method, "", status="failed"
                        )
                        continue
                    self._move(plan, moment, TransactionType.PAYMENT, self._top_up_amount(), method, "")
                    if rng.random() < 0.08:  # an extra service bought with it
                        plan_intent(moment + timedelta(hours=rng.randint(1, 30)), "extra", rng.choice(EXTRAS))
                elif what == "extra":
                    name, price = data
                    if plan.balance - price >= self._floor(plan):
                        payment = self._move(plan, moment, TransactionType.CHARGE, D(price), PaymentMethod.SYSTEM, name)
                        if rng.random() < 0.15:  # refunded: the service did not work
                            plan_intent(moment + timedelta(hours=rng.randint(2, 40)), "refund", (payment, name))
                elif what == "refund":
                    payment, name = data
                    plan.balance = money(plan.balance + payment.amount)
                    payment.status = PaymentStatus.REFUNDED
                    payment.updated_at = moment
                    self._entry(plan, payment, EntryKind.REFUND, payment.amount, moment, f"Возврат: {name}")
                elif what == "invoice" and plan.balance < 0:
                    self._move(plan, moment, TransactionType.PAYMENT, -plan.balance, PaymentMethod.TRANSFER, data)
            intents.clear()  # whatever was planned after the quiet hour before the fee does not happen
            local = due.astimezone(self.zone)
            label = f"Абонентская плата за {MONTHS[local.month - 1]} {local.year}"
            stopping = plan.status == ContractStatus.SUSPENDED and due >= suspend_from
            if plan.balance - fee < self._floor(plan):
                if stopping:
                    plan.end = due  # could not pay: suspended here
                    break
                before = due - timedelta(minutes=rng.randint(5, 50))
                if prepaid:  # the subscriber tops up before the fee
                    amount = self._top_up_amount(fee - plan.balance)
                    self._move(plan, before, TransactionType.PAYMENT, amount, self._method(), "")
                else:  # a postpaid customer pays what is owed
                    self._move(
                        plan, before, TransactionType.PAYMENT, -plan.balance, PaymentMethod.TRANSFER, "Оплата счёта"
                    )
            self._move(plan, due, TransactionType.CHARGE, fee, PaymentMethod.SYSTEM, label)
            if stopping and rng.random() < 0.5:
                plan.end = due + timedelta(hours=1)
                break
            if not prepaid and not stopping and rng.random() < 0.85:
                plan_intent(due + timedelta(days=rng.randint(3, 12)), "invoice", "Оплата счёта")
            window_start = due
            month += 1
        if plan.status == ContractStatus.SUSPENDED and plan.end >= self.now:
            plan.end = max(self.now - timedelta(days=rng.randint(1, 4)), self._last_move(plan))
        if plan.status == ContractStatus.ACTIVE and rng.random() < 0.12:
            # Waiting in the payment systems right now.
            moment = self.now - timedelta(hours=rng.uniform(0.2, 30))
            status = PaymentStatus.PROCESSING if rng.random() < 0.2 else PaymentStatus.PENDING
            method = rng.choice(ONLINE_METHODS)
            self._payment(plan, moment, TransactionType.PAYMENT, self._top_up_amount(), method, "", status=status)
        elif rng.random() < 0.02:
            moment = plan.end - timedelta(hours=rng.uniform(1, 48))
            if moment > plan.start:
                amount = self._top_up_amount()
                self._payment(plan, moment, TransactionType.PAYMENT, amount, PaymentMethod.CASH, "", status="cancelled")

    def _last_move(self, plan: _Plan) -> datetime:
        return (plan.last_move or plan.start) + timedelta(minutes=1)

    # --- writing ----------------------------------------------------------------------------------

    def contracts(self, plans: list[_Plan]) -> None:
        """The contracts (unsaved: their stories refer to them first), numbered per year in order."""
        counters: dict[int, int] = defaultdict(int)
        for plan in plans:
            year = plan.start.astimezone(self.zone).year
            counters[year] += 1
            plan.contract = Contract(
                tenant=self.tenant,
                number=f"CTR-{year}-{counters[year]:06d}",
                customer=plan.customer,
                tariff=plan.tariff,
                status=plan.status,
                start_date=plan.start.astimezone(self.zone).date(),
                activated_at=None if plan.status == ContractStatus.DRAFT else plan.start,
                created_at=plan.start,
                updated_at=plan.start,
                notes="",
            )
        self.counters = counters

    def write_contracts(self, plans: list[_Plan]) -> None:
        for plan in plans:
            contract = plan.contract
            contract.balance = plan.balance
            if plan.status == ContractStatus.SUSPENDED:
                contract.suspended_at = plan.end
            elif plan.status == ContractStatus.TERMINATED:
                contract.terminated_at = plan.end
                contract.end_date = plan.end.astimezone(self.zone).date()
            contract.updated_at = max(m for m in (plan.start, contract.suspended_at, contract.terminated_at) if m)
        with _own_timestamps(Contract):
            Contract.objects.bulk_create([plan.contract for plan in plans], batch_size=1000)
        ContractNumberCounter.objects.bulk_create(
            [ContractNumberCounter(tenant=self.tenant, year=y, last_number=n) for y, n in sorted(self.counters.items())]
        )

    def sims(self, plans: list[_Plan]) -> list[SimCard]:
        rng = self.rng
        numbers: set[str] = set()
        rows: list[SimCard] = []
        serial = 0

        def new_sim(moment: datetime) -> SimCard:
            nonlocal serial
            serial += 1
            sim = SimCard(
                tenant=self.tenant,
                iccid=luhn_complete(f"8999601{serial:012d}"),
                imsi=f"43701{rng.randrange(10**10):010d}",
                msisdn=self._unique_phone(OWN_PREFIXES, numbers),
                status=SimStatus.FREE,
                created_at=moment,
                updated_at=moment,
            )
            rows.append(sim)
            return sim

        for plan in plans:
            if plan.status == ContractStatus.DRAFT:
                continue
            stock_day = plan.start - timedelta(days=rng.randint(5, 40))
            count = 2 if rng.random() < 0.08 else 1
            for _n in range(count):
                sim = new_sim(max(stock_day, self.since))
                if plan.status == ContractStatus.TERMINATED:
                    sim.updated_at = plan.end  # freed back to stock
                    continue
                sim.status = SimStatus.ACTIVE
                sim.contract = plan.contract
                sim.activated_at = plan.start
                sim.updated_at = plan.start
                if plan.status == ContractStatus.SUSPENDED and rng.random() < 0.3:
                    sim.status = SimStatus.INACTIVE
                    sim.updated_at = plan.end
                plan.sims.append(sim)
            if plan.status == ContractStatus.ACTIVE and rng.random() < 0.02:
                # A lost phone: the old card blocked, a new one issued.
                lost = plan.sims[0]
                lost.status = SimStatus.BLOCKED
                moment = plan.start + (self.now - plan.start) * rng.uniform(0.3, 0.9)
                lost.updated_at = moment
                replacement = new_sim(moment - timedelta(days=3))
                replacement.status = SimStatus.ACTIVE
                replacement.contract = plan.contract
                replacement.activated_at = moment
                replacement.updated_at = moment
        for _n in range(FREE_SIMS):
            new_sim(self.now - timedelta(days=rng.randint(1, 60)))
        with _own_timestamps(SimCard):
            return SimCard.objects.bulk_create(rows)

    def write_money(self) -> None:
        """Payments and ledger entries, in time order, straight into their tables (COPY on
        PostgreSQL, batched INSERTs on SQLite: ten thousand rows through the ORM took seconds)."""
        self.payments.sort(key=lambda payment: payment.created_at)
        self.entries.sort(key=lambda pair: pair[1].created_at)
        ids = IdAllocator()
        first = ids.take(Payment, len(self.payments))
        for offset, payment in enumerate(self.payments):
            payment.pk = first + offset
        TableWriter(Payment, PAYMENT_COLUMNS).write(
            (
                p.pk,
                p.tenant_id,
                p.contract.pk,
                p.transaction_type,
                p.payment_method,
                p.amount,
                p.status,
                p.transaction_id,
                p.description,
                p.created_by.pk if p.created_by else None,
                p.processed_by.pk if p.processed_by else None,
                p.processed_at,
                p.created_at,
                p.updated_at,
            )
            for p in self.payments
        )
        first = ids.take(BalanceEntry, len(self.entries))
        TableWriter(BalanceEntry, ENTRY_COLUMNS).write(
            (
                first + offset,
                e.tenant_id,
                e.contract.pk,
                e.kind,
                e.amount,
                e.balance_after,
                payment.pk,
                e.actor.pk if e.actor else None,
                e.reason,
                e.created_at,
            )
            for offset, (payment, e) in enumerate(self.entries)
        )
        reset_sequences([Payment, BalanceEntry])

    def subscriber_statuses(self, plans: list[_Plan]) -> None:
        by_customer: dict[int, set[str]] = defaultdict(set)
        for plan in plans:
            by_customer[plan.customer.pk].add(plan.status)
        blocked, suspended = [], []
        for customer_id, statuses in by_customer.items():
            if statuses == {ContractStatus.TERMINATED} and self.rng.random() < 0.3:
                blocked.append(customer_id)
            elif (
                ContractStatus.SUSPENDED in statuses
                and ContractStatus.ACTIVE not in statuses
                and self.rng.random() < 0.5
            ):
                suspended.append(customer_id)
        Customer.objects.filter(tenant=self.tenant, pk__in=blocked).update(status=CustomerStatus.BLOCKED)
        Customer.objects.filter(tenant=self.tenant, pk__in=suspended).update(status=CustomerStatus.SUSPENDED)

    def run(self) -> dict[str, int]:
        self.tenant_and_staff()
        self.tariffs()
        self.customers()
        plans = self.plans()
        self.contracts(plans)
        for plan in plans:
            if plan.status != ContractStatus.DRAFT:
                self.story(plan)
        self.write_contracts(plans)
        sims = self.sims(plans)
        self.write_money()
        self.subscriber_statuses(plans)
        return {
            "subscribers": len(self.customer_rows),
            "tariffs": len(self.tariff_rows),
            "contracts": len(plans),
            "sims": len(sims),
            "payments": len(self.payments),
            "ledger_entries": len(self.entries),
        }


def telecom_demo_tenant() -> Tenant | None:
    """The demo operator's store, if it is loaded."""
    return Tenant.objects.filter(name=TELECOM_DEMO_NAME).first()


def load_telecom(*, seed: int = 2025, now: datetime | None = None, subscribers: int = 300) -> dict:
    """Create and fill the demo telecom operator (see the module). Idempotent: if the store exists,
    nothing is added and every count is 0. Returns the counts and the tenant (`tenant`)."""
    existing = telecom_demo_tenant()
    if existing is not None:
        return {"tenant": existing, "created": 0}
    demo = TelecomDemo(seed=seed, now=now or timezone.now(), subscribers=subscribers)
    with transaction.atomic():
        counts = demo.run()
    return {"tenant": demo.tenant, "created": 1, **counts}


__all__ = ["TELECOM_DEMO_NAME", "TELECOM_DEMO_PASSWORD", "TELECOM_STAFF", "load_telecom", "telecom_demo_tenant"]
