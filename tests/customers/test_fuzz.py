"""Random input into every field of create and update: always a 2xx, or a 4xx with field messages;
never a 500, and a refused request leaves nothing behind."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from savdo.api.retail.customers.serializers import CUSTOMER_FIELDS
from savdo.customers.models import Customer, CustomerGroup
from tests.customers.factories import CustomerFactory, CustomerGroupFactory

BASE = "/api/customers/customers/"
GROUPS = "/api/customers/groups/"
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**62, max_value=2**90),
    st.integers(min_value=-(2**90), max_value=-1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(float),
    st.text(max_size=40),
    st.text(min_size=150, max_size=2000),
    st.sampled_from(
        [
            "",
            " ",
            "+998901234567",
            "998901234567",
            "+998 90 123 45 67",
            "+79001234567",
            "company",
            "individual",
            "true",
            "2025-11-17",
            "9999-99-99",
            "1e400",
            "NaN",
            "x" * 10_000,
            "\x00",
            "ivan@example.com",
        ]
    ),
)
json_values = st.one_of(
    json_scalars,
    st.lists(json_scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), json_scalars, max_size=3),
)
# Every field the surface shows (read-only ones too: they must be ignored), plus 001's and junk.
FIELD_NAMES = sorted({*CUSTOMER_FIELDS, "tenant", "tenant_id", "status", "search_text", "tags"})
VALID = {"first_name": "Иван", "last_name": "Петров", "phone": "+998901234567", "email": "ivan@example.com"}


def _payloads():
    random_fields = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=8)
    one_or_two = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=2)
    return st.one_of(
        random_fields,
        one_or_two.map(lambda extra: {**VALID, **extra}),  # mostly valid, a bad field or two
        one_or_two.map(lambda extra: {**VALID, **extra}),
        json_values,  # not even an object
    )


def _assert_field_errors(response):
    assert response.status_code != 500, response.content[:500]
    if response.status_code < 300:
        return
    assert 400 <= response.status_code < 500, response.status_code
    body = response.json()
    assert isinstance(body, dict) and body, body
    if response.status_code == 400:
        for field, messages in body.items():
            assert isinstance(field, str)
            assert isinstance(messages, list) and messages, body
            assert all(isinstance(m, str) and m for m in messages), body


def _snapshot(model, **filters):
    return list(model.objects.filter(**filters).order_by("pk").values())


def test_create_customer_with_random_input(owner, tenant):
    group = CustomerGroupFactory(tenant=tenant, discount_percent=Decimal("12"))

    @FUZZ
    @given(payload=_payloads())
    def check(payload):
        if isinstance(payload, dict) and payload.get("group") == "+998901234567":
            payload["group"] = group.pk  # now and then a real group of the tenant
        before = _snapshot(Customer)
        response = owner.client.post(BASE, payload, format="json")
        _assert_field_errors(response)
        if response.status_code >= 400:
            assert _snapshot(Customer) == before
        else:
            created = Customer.objects.get(pk=response.json()["id"])
            assert created.tenant_id == tenant.pk
            assert (created.total_purchases, created.total_purchases_count, created.loyalty_points) == (0, 0, 0)
            created.delete()  # keep the phone free for the next example

    check()


def test_update_customer_with_random_input(owner, tenant):
    customer = CustomerFactory(tenant=tenant, total_purchases=Decimal("100.00"), total_purchases_count=2)
    CustomerFactory(tenant=tenant, phone="+998901234567", email="ivan@example.com")  # makes VALID a duplicate

    @FUZZ
    @given(payload=_payloads(), method=st.sampled_from(["patch", "put"]))
    def check(payload, method):
        before = _snapshot(Customer)
        response = getattr(owner.client, method)(f"{BASE}{customer.pk}/", payload, format="json")
        _assert_field_errors(response)
        if response.status_code >= 400:
            assert _snapshot(Customer) == before
        customer.refresh_from_db()
        assert (customer.total_purchases, customer.total_purchases_count, customer.tenant_id) == (
            Decimal("100.00"),
            2,
            tenant.pk,
        )

    check()


def test_groups_with_random_input(owner, tenant):
    group = CustomerGroupFactory(tenant=tenant, name="Base")
    fields = st.sampled_from(["name", "description", "discount_percent", "is_active", "members_count", "id", "tenant"])
    payloads = st.one_of(st.dictionaries(fields, json_values, max_size=5), json_values)

    @FUZZ
    @given(payload=payloads, method=st.sampled_from(["post", "patch", "put"]))
    def check(payload, method):
        before = _snapshot(CustomerGroup)
        path = GROUPS if method == "post" else f"{GROUPS}{group.pk}/"
        response = getattr(owner.client, method)(path, payload, format="json")
        _assert_field_errors(response)
        if response.status_code >= 400:
            assert _snapshot(CustomerGroup) == before
        elif method == "post":
            CustomerGroup.objects.filter(pk=response.json()["id"]).delete()

    check()


def test_list_with_random_query_parameters(owner, tenant):
    CustomerFactory(tenant=tenant)
    keys = st.sampled_from(
        ["search", "customer_type", "is_active", "is_blocked", "group", "ordering", "page", "page_size"]
    )
    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60)
    values = st.one_of(text, st.integers().map(str), st.just("9" * 40), st.just("-1"))

    @FUZZ
    @given(params=st.dictionaries(keys, values, max_size=5), path=st.sampled_from(["", "vip_customers/"]))
    def check(params, path):
        response = owner.client.get(f"{BASE}{path}", params)
        assert response.status_code in (200, 400, 404), (params, response.status_code, response.content[:300])

    check()


def test_search_by_phone_with_random_input(owner, tenant):
    CustomerFactory(tenant=tenant, phone="+998901234567")
    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)

    @FUZZ
    @given(phone=st.one_of(text, st.from_regex(r"\A[ +]?[0-9 ()-]{0,20}\Z")))
    def check(phone):
        response = owner.client.get(f"{BASE}search_by_phone/", {"phone": phone})
        assert response.status_code in (200, 400, 404), (phone, response.status_code, response.content[:300])

    check()
