"""The demo shop's CRM (savdo/demo/crm.py): a year of deals in every status, consistent with what
the services write, and idempotent."""

from datetime import timedelta
from itertools import pairwise

from django.db.models import Count
from django.utils import timezone

from savdo.crm import selectors
from savdo.crm.choices import ActivityType, DealStatus
from savdo.crm.models import Activity, Deal, DealStatusChange
from savdo.customers.models import Customer
from savdo.demo.crm import load_crm
from savdo.tenancy.models import Role
from tests.customers.factories import CustomerFactory
from tests.factories import MembershipFactory


def test_load_crm_fills_a_believable_pipeline_once(tenant):
    MembershipFactory(tenant=tenant, role=Role.MANAGER)
    for n in range(300):
        CustomerFactory(tenant=tenant, total_purchases_count=n % 3)
    now = timezone.now()
    added = load_crm(tenant, now=now)
    deals = Deal.objects.for_tenant(tenant)
    assert added["deals"] == deals.count() == 90
    statuses = dict(deals.values_list("status").annotate(n=Count("id")))
    assert set(statuses) == set(DealStatus.values)
    assert deals.filter(created_at__lt=now - timedelta(days=300)).exists()
    assert not deals.filter(created_at__gt=now).exists() and not deals.filter(closed_at__gt=now).exists()
    # each deal's history runs from "" to its status, closing stamps closed_at, deal activities follow
    for deal in deals.prefetch_related("status_changes"):
        moves = [(c.from_status, c.to_status) for c in deal.status_changes.all()]
        assert moves[0] == ("", DealStatus.NEW) and moves[-1][1] == deal.status
        assert all(a[1] == b[0] for a, b in pairwise(moves))
        assert (deal.closed_at is not None) == (deal.status in (DealStatus.COMPLETED, DealStatus.CANCELLED))
        assert deal.updated_at == (deal.closed_at or deal.created_at)
    deal_events = Activity.objects.filter(tenant=tenant, type=ActivityType.DEAL).count()
    assert deal_events == deals.count() + deals.filter(closed_at__isnull=False).count()
    assert Activity.objects.filter(tenant=tenant).exclude(type=ActivityType.DEAL).count() >= deals.count()
    assert Customer.objects.filter(tenant=tenant, status__in=["potential", "waiting"]).count() == added["prospects"] > 0
    board = selectors.crm_dashboard(tenant=tenant)
    assert board.active_deals > 0 and 0 < board.conversion_rate < 100
    assert sum(sales for _month, sales in board.sales_trend) > 0
    # a rerun adds nothing
    before = (Deal.objects.count(), Activity.objects.count(), DealStatusChange.objects.count())
    assert load_crm(tenant)["deals"] == 0
    assert (Deal.objects.count(), Activity.objects.count(), DealStatusChange.objects.count()) == before


def test_load_crm_on_a_store_without_customers_adds_nothing(tenant):
    assert load_crm(tenant) == {"deals": 0, "activities": 0, "status_changes": 0, "prospects": 0}
