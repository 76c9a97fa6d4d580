"""What a shop owner sees in a generated shop looks like a shop's: distinct real phones, groups and
discounts that follow spending, nothing dated in the future, texts in the shop's language, people's
names for the staff, and (in the demo) a few weeks of staff tasks."""

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from unittest import mock

import phonenumbers
import pytest
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from savdo.customers.models import Customer, CustomerGroup
from savdo.customers.selectors import customer_vip_list
from savdo.demo.generator import GROUPS, TenantPlan, generate_shops
from savdo.demo.management.commands.demo import DEMO_NAME, DEMO_OWNER
from savdo.demo.names import MOBILE_CODES, phone_for
from savdo.inventory.models import Batch, StockMovement
from savdo.sales.models import CashSession, Payment, Refund, Sale
from savdo.tasks.choices import TaskAction, TaskStatus
from savdo.tasks.models import Task, TaskComment, TaskHistory
from savdo.tenancy.models import Role, Tenant


def _plan(**overrides) -> TenantPlan:
    fields = {
        "name": "Realistic shop",
        "customers": 400,
        "products": 40,
        "sales": 900,
        "days": 30,
        "owner_username": "real-owner",
        "password": "Real-Savdo-2025",
        "busy_customer_purchases": 20,
        "with_batches": True,
    }
    return TenantPlan(**{**fields, **overrides})


@pytest.fixture
def shop():
    (summary,) = generate_shops([_plan()], seed=11, log=lambda s: None)
    return summary["tenant"]


def test_every_customer_has_a_distinct_valid_mobile_number_over_the_operator_codes():
    phones = [phone_for(index) for index in range(5000)]
    assert len(set(phones)) == 5000
    assert len({phone[6:] for phone in phones[:500]}) == 500  # the subscriber parts too, not only the codes
    codes = Counter(phone[4:6] for phone in phones)
    assert set(codes) == set(MOBILE_CODES)
    assert codes.most_common(1)[0][1] < 0.2 * len(phones)
    for phone in phones[:300]:
        number = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    assert phone_for(9_000_000 + 7) != phone_for(7)  # past nine million the operator code moves on


def test_generated_customers_phones_are_distinct(shop):
    phones = list(Customer.objects.filter(tenant=shop).values_list("phone", flat=True))
    assert len(phones) == 400
    assert len({phone[6:] for phone in phones}) == 400


def test_groups_and_discounts_follow_spending(shop):
    customers = Customer.objects.filter(tenant=shop)
    groups = {group.name: group for group in CustomerGroup.objects.filter(tenant=shop)}
    ordinary, regular, vip = (groups[str(name)] for name, _percent in GROUPS)
    assert [str(name) for name, _percent in GROUPS] == ["Обычные покупатели", "Постоянные покупатели", "VIP клиенты"]

    # Nobody who never bought is in a group or has a discount.
    never = customers.filter(total_purchases_count=0)
    assert never.exists()
    assert not never.filter(Q(group__isnull=False) | Q(discount_percent__gt=0)).exists()
    # VIPs (group discount or personal discount of 10 % and more) all bought, and for more than most.
    vips = list(customer_vip_list(tenant=shop))
    assert 3 <= len(vips) <= 40
    buyers = sorted(customers.filter(total_purchases__gt=0).values_list("total_purchases", flat=True))
    three_quarters = buyers[len(buyers) * 3 // 4]
    assert all(c.total_purchases_count > 0 and c.total_purchases >= three_quarters for c in vips)
    # The five biggest spenders are in a group with a discount.
    top = customers.order_by("-total_purchases")[:5]
    assert all(c.group_id in (regular.pk, vip.pk) for c in top)
    # The groups' rules read as a shop writes them, and hold for every member.
    assert ordinary.description == "С первой покупки"
    assert regular.description.startswith("Скидка 5% при покупках от ") and regular.description.endswith(" сум")
    vip_from = Decimal(
        vip.description.removeprefix("Скидка 15% при покупках от ").removesuffix(" сум").replace(" ", "")
    )
    assert all(c.total_purchases >= vip_from for c in customers.filter(group=vip))
    # Personal discounts: a few of the very biggest spenders.
    personal = customers.filter(discount_percent__gt=0)
    assert 1 <= personal.count() <= 5
    assert all(c.group_id == vip.pk and c.discount_percent == Decimal("20") for c in personal)
    # Sales after a customer joined a group carry its discount; nobody outside the groups got one.
    assert Sale.objects.filter(tenant=shop, customer__group=vip, discount_percent=Decimal("15")).exists()
    assert not Sale.objects.filter(tenant=shop, discount_percent__gt=0, customer__group=ordinary).exists()


def test_the_owner_and_the_cashier_have_peoples_names(shop):
    for membership in shop.memberships.select_related("user"):
        name = membership.user.get_full_name()
        assert shop.name not in name and "Owner" not in name and "Kassir" not in name
        assert membership.user.first_name and membership.user.last_name


# Tashkent is UTC+5: at 03:30 the shop has not opened yet today, at 15:30 it is open.
@pytest.mark.parametrize("now", [datetime(2025, 5, 19, 22, 30, tzinfo=UTC), datetime(2025, 5, 20, 10, 30, tzinfo=UTC)])
def test_nothing_generated_lies_in_the_future(now):
    with mock.patch("django.utils.timezone.now", return_value=now):
        (summary,) = generate_shops([_plan()], seed=11, log=lambda s: None)
    tenant = summary["tenant"]
    for model, field in [
        (StockMovement, "created_at"),
        (Sale, "created_at"),
        (Sale, "completed_at"),
        (Payment, "created_at"),
        (Refund, "created_at"),
        (CashSession, "opened_at"),
        (CashSession, "closed_at"),
        (Customer, "created_at"),
        (Customer, "last_purchase_at"),
        (Batch, "created_at"),
    ]:
        assert not model.objects.filter(tenant=tenant, **{f"{field}__gt": now}).exists(), (model, field)
    # Today's ledger movements come before anything the till sells from now on.
    latest = StockMovement.objects.filter(tenant=tenant).order_by("-created_at").first()
    assert latest.created_at <= now
    today_shift = CashSession.objects.filter(tenant=tenant, status="open")
    assert today_shift.exists() == (now.hour == 10)


def test_generated_texts_are_in_the_shops_language():
    russian, uzbek = generate_shops(
        [_plan(), _plan(name="O'zbek do'koni", owner_username="uz-owner", language="uz")],
        seed=11,
        log=lambda s: None,
    )
    for summary, opening, sales in [
        (russian, "Начальный остаток", "Продажи за "),
        (uzbek, "Boshlang'ich qoldiq", " savdolari"),
    ]:
        reasons = set(StockMovement.objects.filter(tenant=summary["tenant"]).values_list("reason", flat=True))
        assert opening in reasons
        assert any(sales in reason for reason in reasons)
        assert not any("Generated" in reason for reason in reasons)
    refund_reasons = set(Refund.objects.filter(tenant=uzbek["tenant"]).values_list("reason", flat=True))
    assert refund_reasons and refund_reasons <= {
        "Xaridor fikridan qaytdi",
        "Qadoq shikastlangan",
        "Yaroqlilik muddati o'tgan",
        "Kassir xatosi",
    }
    assert CustomerGroup.objects.filter(tenant=uzbek["tenant"], name="VIP mijozlar").exists()


@pytest.fixture
def demo():
    call_command("demo", customers=300, products=40, days=30, sales_per_day=25)
    return Tenant.objects.get(name=DEMO_NAME)


def test_the_demo_owner_is_a_person(demo):
    owner = demo.memberships.get(role=Role.OWNER).user
    assert (owner.first_name, owner.last_name) == DEMO_OWNER
    assert DEMO_NAME not in owner.get_full_name()


def test_the_demo_has_weeks_of_tasks_in_every_status(demo):
    tasks = Task.objects.filter(tenant=demo)
    assert set(tasks.values_list("status", flat=True)) == set(TaskStatus.values)
    assert tasks.count() >= 20
    assert tasks.filter(template__isnull=False).count() >= tasks.count() * 3 // 4
    assert timezone.now() - tasks.order_by("created_at").first().created_at > timezone.timedelta(days=21)
    staff = set(demo.memberships.exclude(role=Role.OWNER).values_list("user_id", flat=True))
    assert set(tasks.values_list("assigned_to_id", flat=True)) <= staff
    assert TaskComment.objects.filter(tenant=demo).count() >= 10
    # A review rejected with a comment, redone and approved.
    rejected = tasks.get(history__action=TaskAction.REJECT)
    actions = list(rejected.history.order_by("created_at", "id").values_list("action", flat=True))
    assert actions == ["create", "start", "submit_for_review", "reject", "submit_for_review", "approve"]
    assert rejected.status == TaskStatus.COMPLETED
    assert rejected.comments.filter(author=rejected.created_by).exists()
    # Each history is in time order and in the past; texts in the shop's language.
    now = timezone.now()
    for model in (Task, TaskHistory, TaskComment):
        assert not model.objects.filter(tenant=demo, created_at__gt=now).exists()
    for task in tasks:
        moments = list(task.history.order_by("id").values_list("created_at", flat=True))
        assert moments == sorted(moments) and moments[0] == task.created_at
    assert tasks.filter(title="Обновить ценники").exists()


def test_the_demos_champions_are_its_big_spenders(demo):
    top = list(Customer.objects.filter(tenant=demo).order_by("-total_purchases")[:5])
    assert top[0].rfm_segment == "Champions"
    # The data moves with the date and the hour it is generated at (the 30 days end now): a big
    # spender who has not been back for two weeks is rightly "Can't Lose Them". The three biggest
    # are regulars whatever the day; of the five, at most one has lapsed.
    regulars = {"Champions", "Loyal Customers"}
    assert {customer.rfm_segment for customer in top[:3]} <= regulars
    assert sum(customer.rfm_segment in regulars for customer in top) >= 4
    champions = Customer.objects.filter(tenant=demo, rfm_segment="Champions")
    lost = Customer.objects.filter(tenant=demo, rfm_segment="Lost")
    average = lambda rows: sum(c.total_purchases for c in rows) / len(rows)  # noqa: E731
    assert average(champions) > 3 * average(lost)
