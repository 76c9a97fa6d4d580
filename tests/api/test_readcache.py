"""Cached answers (savdo/api/readcache.py) stay exact: every kind of write to a scope a view reads
is seen by the very next request, and nothing else the answer depends on is shared by mistake."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from savdo.api import readcache
from savdo.api.readcache import LocalAnswers
from savdo.catalog.models import Product
from savdo.core import versions
from savdo.customers.models import Customer, CustomerGroup
from savdo.tenancy.models import Role
from tests.analytics.shop import NOON, build_shop, clock  # noqa: F401  (fixture)
from tests.conftest import Member
from tests.customers.factories import CustomerFactory, CustomerGroupFactory
from tests.inventory.factories import receive

CUSTOMERS = "/api/customers/customers/"
TODAY = "/api/analytics/daily-sales/today/"
SEGMENTS = "/api/analytics/customer-analytics/segments/"
TOP = "/api/analytics/product-performance/top-products/"
LATEST = "/api/analytics/inventory-snapshots/latest/"


def _get(client, path, **extra):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **extra)
    assert response.status_code == 200, response.content
    return response.json(), len(ctx.captured_queries)


def _fresh(client, path, settings):
    """What the view answers with the cache off (the truth to compare with)."""
    settings.SAVDO_RESPONSE_CACHE = False
    try:
        return _get(client, path)[0]
    finally:
        settings.SAVDO_RESPONSE_CACHE = True


# A cached answer's only statement: the versions it is keyed on, read from the database.
HIT = 1


def _version(key):
    return versions.current([key])[0]


def _warm(client, path):
    """Read until the answer is stored."""
    _get(client, path)
    body, _queries = _get(client, path)
    assert _get(client, path)[1] == HIT
    return body


def test_a_repeated_read_runs_only_the_version_read(tenant, cashier):
    CustomerFactory.create_batch(3, tenant=tenant)
    first, queries = _get(cashier.client, CUSTOMERS)
    assert queries > 0
    again, queries = _get(cashier.client, CUSTOMERS)
    assert again == first
    assert queries == HIT


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda t, c: CustomerFactory(tenant=t, first_name="New"), id="created"),
        pytest.param(lambda t, c: Customer.objects.filter(pk=c.pk).update(first_name="Renamed"), id="queryset-update"),
        pytest.param(
            lambda t, c: Customer.objects.filter(pk=c.pk).update(total_purchases=F("total_purchases") + 500),
            id="statistics-only-update",
        ),
        pytest.param(lambda t, c: Customer.objects.filter(tenant=t).delete(), id="deleted"),
        pytest.param(
            lambda t, c: Customer.objects.bulk_update([Customer(pk=c.pk, notes="bulk")], ["notes"]), id="bulk-update"
        ),
        pytest.param(
            lambda t, c: Customer.objects.filter(pk=c.pk).update(group=CustomerGroupFactory(tenant=t)), id="group"
        ),
    ],
)
def test_customer_writes_are_seen_by_the_next_read(tenant, owner, settings, write):
    customer = CustomerFactory(tenant=tenant, first_name="Old")
    before = _warm(owner.client, CUSTOMERS)
    write(tenant, customer)
    after, queries = _get(owner.client, CUSTOMERS)
    assert queries > 0
    assert after == _fresh(owner.client, CUSTOMERS, settings)
    assert after != before


def test_a_group_discount_change_reaches_the_vip_list(tenant, owner):
    group = CustomerGroupFactory(tenant=tenant, discount_percent=Decimal("5"))
    CustomerFactory(tenant=tenant, group=group)
    assert _warm(owner.client, f"{CUSTOMERS}vip_customers/")["count"] == 0
    CustomerGroup.objects.filter(pk=group.pk).update(discount_percent=Decimal("15"))
    assert _get(owner.client, f"{CUSTOMERS}vip_customers/")[0]["count"] == 1


def test_an_answer_is_per_tenant_and_per_query(tenant, other_tenant, owner, other_owner):
    CustomerFactory(tenant=tenant, first_name="Aziz")
    CustomerFactory(tenant=other_tenant, first_name="Bobur")
    mine = _warm(owner.client, CUSTOMERS)
    theirs, _ = _get(other_owner.client, CUSTOMERS)
    assert [c["first_name"] for c in mine["results"]] == ["Aziz"]
    assert [c["first_name"] for c in theirs["results"]] == ["Bobur"]
    assert _get(owner.client, f"{CUSTOMERS}?search=zzz")[0]["count"] == 0
    # The same parameters in another order are the same question.
    _warm(owner.client, f"{CUSTOMERS}?page=1&page_size=5")
    assert _get(owner.client, f"{CUSTOMERS}?page_size=5&page=1")[1] == HIT


def test_not_found_is_never_stored(tenant, cashier):
    path = f"{CUSTOMERS}search_by_phone/?phone=%2B998901234567"
    assert cashier.client.get(path).status_code == 404
    assert cashier.client.get(path).status_code == 404
    CustomerFactory(tenant=tenant, phone="+998901234567")
    assert cashier.client.get(path).status_code == 200


def test_answers_lost_from_the_cache_are_computed_again(tenant, owner):
    CustomerFactory(tenant=tenant)
    _warm(owner.client, CUSTOMERS)
    cache.clear()  # Redis flushed or restarted empty
    readcache.local_answers.clear()
    assert _get(owner.client, CUSTOMERS)[1] > HIT
    _warm(owner.client, CUSTOMERS)


def test_off_runs_the_view_every_time(tenant, owner, settings):
    settings.SAVDO_RESPONSE_CACHE = False
    CustomerFactory(tenant=tenant)
    _get(owner.client, CUSTOMERS)
    assert _get(owner.client, CUSTOMERS)[1] > 0


def test_a_process_serves_its_own_recent_answers_without_fetching_them(tenant, owner, monkeypatch):
    CustomerFactory(tenant=tenant)
    body = _warm(owner.client, CUSTOMERS)
    fetched = []
    shared_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *a, **kw: fetched.append(key) or shared_get(key, *a, **kw))
    assert _get(owner.client, CUSTOMERS) == (body, HIT)
    assert not [key for key in fetched if key.startswith("answer:")]
    # Another process (an empty local store) fetches the shared bytes once, then keeps them too.
    readcache.local_answers.clear()
    assert _get(owner.client, CUSTOMERS) == (body, HIT)
    assert len([key for key in fetched if key.startswith("answer:")]) == 1
    assert _get(owner.client, CUSTOMERS) == (body, HIT)
    assert len([key for key in fetched if key.startswith("answer:")]) == 1


def test_a_local_answer_is_not_served_after_a_write(tenant, owner, settings):
    customer = CustomerFactory(tenant=tenant, first_name="Old")
    _warm(owner.client, CUSTOMERS)
    Customer.objects.filter(pk=customer.pk).update(first_name="New")
    body = _get(owner.client, CUSTOMERS)[0]
    assert body == _fresh(owner.client, CUSTOMERS, settings)
    assert "New" in str(body)


def test_local_answers_stay_within_their_bytes_least_recently_used_out(monkeypatch):
    answers = LocalAnswers(max_bytes=100)
    for name in "abcd":
        answers.put(name, "application/json", name.encode() * 25)
    assert answers.get("a") == ("application/json", b"a" * 25)  # now "b" is the least recent
    answers.put("e", "application/json", b"e" * 25)
    assert answers.get("b") is None
    assert all(answers.get(name) is not None for name in "acde")
    assert answers.size == 100
    answers.put("big", "application/json", b"w" * 26)  # more than a quarter of the room: not kept
    assert answers.get("big") is None
    now = [1000.0]
    monkeypatch.setattr(readcache.time, "monotonic", lambda: now[0])
    answers.put("f", "application/json", b"f")
    now[0] += readcache.RESPONSE_TIMEOUT + 1
    assert answers.get("f") is None
    answers.clear()
    assert answers.size == 0 and answers.get("a") is None


def test_the_key_holds_role_language_and_host(tenant, owner, manager, settings):
    settings.ALLOWED_HOSTS = ["testserver", "shop.example.uz"]
    CustomerFactory.create_batch(2, tenant=tenant)
    _warm(owner.client, f"{CUSTOMERS}?page_size=1")
    assert _get(manager.client, f"{CUSTOMERS}?page_size=1")[1] > 0
    assert _get(owner.client, f"{CUSTOMERS}?page_size=1", HTTP_ACCEPT_LANGUAGE="en")[1] > 0
    other_host, queries = _get(owner.client, f"{CUSTOMERS}?page_size=1", HTTP_HOST="shop.example.uz")
    assert queries > 0
    assert other_host["next"].startswith("http://shop.example.uz/")


# --- sales, catalog and stock scopes: the analytics reports ---------------------------------------------


@pytest.fixture
def shop(tenant, clock):  # noqa: F811
    return build_shop(tenant, clock)


@pytest.fixture
def boss(shop):
    return Member(shop.tenant, Role.OWNER)


@pytest.mark.parametrize("path", [TODAY, SEGMENTS, TOP])
def test_a_sale_rung_up_now_is_in_the_next_report(shop, boss, settings, path):
    before = _warm(boss.client, path)
    shop.sell([("cheese", "2.000"), ("milk", 2)], at=NOON, customer=shop.customers[4])
    after, queries = _get(boss.client, path)
    assert queries > 0
    assert after == _fresh(boss.client, path, settings)
    assert after != before


def test_a_refund_is_in_the_next_report(shop, boss, settings):
    sale = shop.sell([("milk", 2)], at=NOON)
    before = _warm(boss.client, TODAY)
    shop.refund(sale, at=NOON)
    after = _get(boss.client, TODAY)[0]
    assert after == _fresh(boss.client, TODAY, settings) != before


def test_a_renamed_product_is_in_the_next_top_list(shop, boss):
    _warm(boss.client, TOP)
    Product.objects.filter(pk=shop.products["cheese"].pk).update(name="Gouda")
    names = [p["product_name"] for p in _get(boss.client, TOP)[0]["top_products"]]
    assert "Gouda" in names


def test_received_stock_is_in_the_next_stock_list(shop, boss, settings):
    before = _warm(boss.client, LATEST)
    receive(shop.products["soap"], 40, user=boss.user)
    after = _get(boss.client, LATEST)[0]
    assert after == _fresh(boss.client, LATEST, settings) != before


def test_a_new_day_is_a_new_answer(shop, boss, clock):  # noqa: F811
    assert _warm(boss.client, TODAY)["date"] == NOON.date().isoformat()
    clock.set(NOON + timedelta(days=1))
    assert _get(boss.client, TODAY)[0]["date"] == (NOON + timedelta(days=1)).date().isoformat()


def test_tenant_settings_renew_every_answer(shop, boss, settings):
    _warm(boss.client, TODAY)
    scopes = ["customers", "catalog", "stock", "sales"]
    before = versions.current([versions.key("data", scope, shop.tenant.pk) for scope in scopes])
    shop.tenant.loyalty_percent = shop.tenant.loyalty_percent + 1
    shop.tenant.save()
    after = versions.current([versions.key("data", scope, shop.tenant.pk) for scope in scopes])
    assert before is not None and after is not None
    assert all(old != new for old, new in zip(before, after, strict=True))
    shop.tenant.time_zone = "Asia/Tokyo"
    shop.tenant.save()
    assert _get(boss.client, TODAY)[0] == _fresh(boss.client, TODAY, settings)


# --- versions: when writes renew them ---------------------------------------------------------------------


def test_a_filtered_update_finds_its_tenant_without_asking(tenant):
    CustomerFactory(tenant=tenant)
    with CaptureQueriesContext(connection) as ctx:
        Customer.objects.filter(tenant=tenant).update(notes="x")
    assert len(ctx.captured_queries) == 2  # the update, then its versions (no transaction: at once)
    before = _version(versions.key("data", "customers", tenant.pk))
    Customer.objects.filter(notes="x").update(notes="y")  # no tenant filter: asks, then renews
    assert _version(versions.key("data", "customers", tenant.pk)) != before


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_versions_change_when_it_commits(tenant):
    key = versions.key("data", "customers", tenant.pk)
    v0 = _version(key)
    with transaction.atomic():
        CustomerFactory(tenant=tenant)
        assert _version(key) == v0
    assert _version(key) != v0


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_does_not_lose_a_later_write(tenant):
    key = versions.key("data", "customers", tenant.pk)
    v0 = _version(key)
    with transaction.atomic():
        try:
            with transaction.atomic():
                CustomerFactory(tenant=tenant)
                raise RuntimeError
        except RuntimeError:
            pass
        Customer.objects.filter(tenant=tenant).update(notes="kept")
    assert _version(key) != v0


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_keeps_the_version(tenant):
    key = versions.key("data", "customers", tenant.pk)
    v0 = _version(key)
    with pytest.raises(RuntimeError), transaction.atomic():
        CustomerFactory(tenant=tenant)
        raise RuntimeError
    assert _version(key) == v0


# --- the till's reads: products, a customer's purchases -------------------------------------------------

PRODUCTS = "/api/products/products/"


def test_price_and_stock_changes_are_in_the_next_product_lookup(shop, boss, settings):
    path = f"{PRODUCTS}?search=CHEESE"
    before = _warm(boss.client, path)
    Product.objects.filter(pk=shop.products["cheese"].pk).update(sale_price=Decimal("90000"))
    after = _get(boss.client, path)[0]
    assert after == _fresh(boss.client, path, settings) != before
    receive(shop.products["cheese"], 5, user=boss.user)
    assert _get(boss.client, path)[0] == _fresh(boss.client, path, settings) != after


@pytest.mark.parametrize("kind", ["purchase-history", "stats"])
def test_a_purchase_is_in_the_next_history_and_stats(shop, boss, settings, kind):
    path = f"{CUSTOMERS}{shop.customers[3].pk}/{kind}/"
    before = _warm(boss.client, path)
    shop.sell([("bread", 2)], at=NOON, customer=shop.customers[3])
    after = _get(boss.client, path)[0]
    assert after == _fresh(boss.client, path, settings) != before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (real concurrency)")
@pytest.mark.django_db(transaction=True)
def test_overlapping_transactions_each_renew_at_their_own_commit(tenant):
    """Two threads in the same decorated service (one shared `Atomic` object): the one that commits
    last must still renew the version, or a read between the commits would be kept."""
    import threading

    from django.db import connections

    key = versions.key("data", "customers", tenant.pk)
    v0 = _version(key)
    inside, release = threading.Event(), threading.Event()

    @transaction.atomic
    def write(wait: bool):
        CustomerFactory(tenant=tenant)
        if wait:
            inside.set()
            release.wait(10)

    def slow():
        try:
            write(True)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow)
    thread.start()
    assert inside.wait(10)
    write(False)  # commits first
    after_first = _version(key)
    assert after_first != v0
    release.set()
    thread.join()
    assert _version(key) != after_first


def test_a_write_while_the_cache_is_away_leaves_no_stale_answer(tenant, owner, monkeypatch):
    """The versions are written in the writing transaction, in the database: a write needs nothing
    from the shared cache, and when the cache is back with the answers it held, none of them is
    found again."""
    customer = CustomerFactory(tenant=tenant, first_name="Aziz")
    _warm(owner.client, CUSTOMERS)

    def away(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    with monkeypatch.context() as patched:
        for name in ("get", "set", "add", "get_many", "set_many", "delete", "delete_many"):
            patched.setattr(cache, name, away)
        with transaction.atomic():
            Customer.objects.filter(pk=customer.pk).update(first_name="Bobur")
    # Back: Redis and this process's memory still hold the answer with "Aziz".
    assert [c["first_name"] for c in _get(owner.client, CUSTOMERS)[0]["results"]] == ["Bobur"]
