"""The retail customers API beyond the document's examples: roles, tenancy, filters, pagination,
writes of the status views, group deletion, query counts."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from savdo.audit.models import ChangeLogEntry
from savdo.customers.models import Customer, CustomerGroup, CustomerStatus
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.customers.factories import CustomerFactory, CustomerGroupFactory
from tests.generic import EndpointChecks

BASE = "/api/customers/customers/"
GROUPS = "/api/customers/groups/"


class TestCustomerEndpoints(EndpointChecks):
    list_path = BASE
    detail_path = BASE + "{pk}/"
    create_payload = staticmethod(lambda tenant: {"first_name": "Ali", "phone": "+998901234567"})
    model = Customer
    forbidden = [
        ("get", BASE, Role.AGENT),
        ("post", BASE, Role.AGENT),
        ("patch", BASE + "{pk}/", Role.AGENT),
    ]

    def make_object(self, tenant):
        return CustomerFactory(tenant=tenant)


class TestCustomerSearchEndpoint(TestCustomerEndpoints):
    """The same checks with a search term: search stays tenant-scoped and constant in queries."""

    list_query_params = "page_size=50&search=ali"


class TestVipEndpoint(EndpointChecks):
    list_path = BASE + "vip_customers/"
    model = Customer

    def make_object(self, tenant):
        return CustomerFactory(tenant=tenant, group=CustomerGroupFactory(tenant=tenant, discount_percent=20))


class TestGroupEndpoints(EndpointChecks):
    list_path = GROUPS
    detail_path = GROUPS + "{pk}/"
    extra_paths = [GROUPS + "{pk}/members/"]
    create_payload = staticmethod(lambda tenant: {"name": "Optom", "discount_percent": 5})
    model = CustomerGroup
    forbidden = [
        ("delete", GROUPS + "{pk}/", Role.CASHIER),
        ("patch", GROUPS + "{pk}/", Role.CASHIER),
        ("post", GROUPS, Role.CASHIER),
        ("get", GROUPS, Role.AGENT),
    ]

    def make_object(self, tenant):
        group = CustomerGroupFactory(tenant=tenant)
        CustomerFactory(tenant=tenant, group=group)
        return group


class TestGroupMembersEndpoint(EndpointChecks):
    """Members list of one group: constant queries too."""

    model = Customer
    list_query_params = "page_size=50"

    @pytest.fixture(autouse=True)
    def _group(self, tenant):
        self.group = CustomerGroupFactory(tenant=tenant)
        self.list_path = f"{GROUPS}{self.group.pk}/members/"

    def make_object(self, tenant):
        if tenant.pk == self.group.tenant_id:
            return CustomerFactory(tenant=tenant, group=self.group)
        return CustomerFactory(tenant=tenant, group=CustomerGroupFactory(tenant=tenant))


# --- roles ---------------------------------------------------------------------------------------


def test_a_cashier_creates_and_edits_customers(cashier):
    created = cashier.client.post(BASE, {"first_name": "Ali", "phone": "+998901234567"}, format="json")
    assert created.status_code == 201
    edited = cashier.client.patch(f"{BASE}{created.json()['id']}/", {"city": "Ташкент"}, format="json")
    assert edited.status_code == 200
    assert Customer.objects.get().city == "Ташкент"


def test_a_cashier_reads_groups_but_a_manager_changes_them(cashier, manager, tenant):
    group = CustomerGroupFactory(tenant=tenant)
    assert cashier.client.get(GROUPS).status_code == 200
    assert cashier.client.get(f"{GROUPS}{group.pk}/").status_code == 200
    assert manager.client.patch(f"{GROUPS}{group.pk}/", {"discount_percent": 7}, format="json").status_code == 200
    assert manager.client.delete(f"{GROUPS}{group.pk}/").status_code == 204
    assert not CustomerGroup.objects.exists()


def test_customers_cannot_be_deleted_through_document_000(owner, tenant):
    customer = CustomerFactory(tenant=tenant)

    response = owner.client.delete(f"{BASE}{customer.pk}/")

    assert response.status_code == 405
    assert Customer.objects.filter(pk=customer.pk).exists()


# --- tenancy of related ids -----------------------------------------------------------------------


def test_another_tenants_group_is_a_field_error(owner, other_tenant):
    foreign = CustomerGroupFactory(tenant=other_tenant)

    response = owner.client.post(
        BASE, {"first_name": "Ali", "phone": "+998901234567", "group": foreign.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"group": ["Группа покупателей не найдена"]}
    assert not Customer.objects.exists()


@pytest.mark.parametrize("group", [99999999, "abc", 2**70, -1, 1.5, True, [1], {"id": 1}])
def test_bad_group_ids_are_field_errors(owner, group):
    response = owner.client.post(BASE, {"first_name": "Ali", "phone": "+998901234567", "group": group}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["group"]
    assert not Customer.objects.exists()


def test_group_null_detaches(owner, tenant):
    customer = CustomerFactory(tenant=tenant, group=CustomerGroupFactory(tenant=tenant))

    response = owner.client.patch(f"{BASE}{customer.pk}/", {"group": None}, format="json")

    assert response.status_code == 200
    assert response.json()["group"] is None
    customer.refresh_from_db()
    assert customer.group_id is None


def test_the_same_phone_in_another_tenant_is_fine(owner, other_owner):
    payload = {"first_name": "Ali", "phone": "+998901234567"}
    assert owner.client.post(BASE, payload, format="json").status_code == 201
    assert other_owner.client.post(BASE, payload, format="json").status_code == 201


def test_duplicate_email_is_a_field_error(owner):
    owner.client.post(BASE, {"first_name": "A", "phone": "+998901234567", "email": "a@x.uz"}, format="json")

    response = owner.client.post(BASE, {"first_name": "B", "phone": "+998901234568", "email": "A@X.uz"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"email": ["Покупатель с таким email уже существует"]}


def test_a_customer_keeps_its_own_phone_on_update(owner, tenant):
    customer = CustomerFactory(tenant=tenant)

    response = owner.client.patch(f"{BASE}{customer.pk}/", {"phone": customer.phone}, format="json")

    assert response.status_code == 200


def test_changing_to_a_taken_phone_is_refused_and_nothing_changes(owner, tenant):
    first = CustomerFactory(tenant=tenant)
    second = CustomerFactory(tenant=tenant, city="Самарканд")

    response = owner.client.patch(f"{BASE}{second.pk}/", {"phone": first.phone, "city": "Бухара"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"phone": ["Покупатель с таким номером телефона уже существует"]}
    second.refresh_from_db()
    assert second.city == "Самарканд"


# --- PUT -----------------------------------------------------------------------------------------


def test_put_replaces_and_requires_first_name_and_phone(owner, tenant):
    customer = CustomerFactory(tenant=tenant, city="Самарканд")
    url = f"{BASE}{customer.pk}/"

    assert owner.client.put(url, {"city": "Бухара"}, format="json").json() == {
        "first_name": ["Обязательное поле."],
        "phone": ["Обязательное поле."],
    }
    response = owner.client.put(url, {"first_name": "Анвар", "phone": "+998901234567", "city": "Бухара"}, format="json")
    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert (customer.first_name, customer.phone, customer.city) == ("Анвар", "+998901234567", "Бухара")


# --- is_active / is_blocked are views of the status ------------------------------------------------


@pytest.mark.parametrize(
    ("start", "payload", "status", "is_active", "is_blocked"),
    [
        (CustomerStatus.ACTIVE, {"is_blocked": True}, CustomerStatus.BLOCKED, False, True),
        (CustomerStatus.ACTIVE, {"is_active": False}, CustomerStatus.INACTIVE, False, False),
        (CustomerStatus.INACTIVE, {"is_active": True}, CustomerStatus.ACTIVE, True, False),
        (CustomerStatus.BLOCKED, {"is_blocked": False}, CustomerStatus.ACTIVE, True, False),
        (CustomerStatus.BLOCKED, {"is_blocked": False, "is_active": False}, CustomerStatus.INACTIVE, False, False),
        (CustomerStatus.POTENTIAL, {"is_active": True, "is_blocked": False}, CustomerStatus.POTENTIAL, True, False),
        (CustomerStatus.ACTIVE, {"is_active": True, "is_blocked": True}, CustomerStatus.BLOCKED, False, True),
    ],
)
def test_status_views_are_writable(owner, tenant, start, payload, status, is_active, is_blocked):
    customer = CustomerFactory(tenant=tenant, status=start)

    response = owner.client.patch(f"{BASE}{customer.pk}/", payload, format="json")

    assert response.status_code == 200
    assert (response.json()["is_active"], response.json()["is_blocked"]) == (is_active, is_blocked)
    customer.refresh_from_db()
    assert customer.status == status


def test_create_blocked(owner):
    response = owner.client.post(
        BASE, {"first_name": "Ali", "phone": "+998901234567", "is_blocked": True}, format="json"
    )

    assert response.status_code == 201
    assert Customer.objects.get().status == CustomerStatus.BLOCKED


def test_filter_is_blocked_and_group(owner, tenant):
    group = CustomerGroupFactory(tenant=tenant)
    blocked = CustomerFactory(tenant=tenant, status=CustomerStatus.BLOCKED)
    in_group = CustomerFactory(tenant=tenant, group=group)
    plain = CustomerFactory(tenant=tenant)

    def ids(query):
        response = owner.client.get(f"{BASE}?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids("is_blocked=true") == {blocked.pk}
    assert ids("is_blocked=false") == {in_group.pk, plain.pk}
    assert ids(f"group={group.pk}") == {in_group.pk}
    assert ids("is_active=false") == {blocked.pk}
    assert ids("group=99999") == set()


def test_bad_filter_values_are_field_errors(owner):
    response = owner.client.get(f"{BASE}?is_active=perhaps&customer_type=alien")

    assert response.status_code == 400
    assert set(response.json()) == {"is_active", "customer_type"}


def test_ordering(owner, tenant):
    a = CustomerFactory(tenant=tenant, first_name="Bobur", total_purchases=Decimal("10"))
    b = CustomerFactory(tenant=tenant, first_name="Anvar", total_purchases=Decimal("30"))
    c = CustomerFactory(tenant=tenant, first_name="Dilnoza", total_purchases=Decimal("20"))

    def ids(ordering):
        return [row["id"] for row in owner.client.get(f"{BASE}?ordering={ordering}").json()["results"]]

    assert ids("first_name") == [b.pk, a.pk, c.pk]
    assert ids("-total_purchases") == [b.pk, c.pk, a.pk]
    assert ids("") == [c.pk, b.pk, a.pk]  # newest first by default
    assert ids("no_such_field") == [c.pk, b.pk, a.pk]


def test_pagination_and_maximum_page_size(owner, tenant, settings):
    for _ in range(5):
        CustomerFactory(tenant=tenant)

    page = owner.client.get(f"{BASE}?page=2&page_size=2").json()
    assert page["count"] == 5
    assert len(page["results"]) == 2
    assert page["next"] and page["previous"]

    from savdo.api.retail.conventions import RetailPagination

    assert RetailPagination.max_page_size == settings.MAX_PAGE_SIZE
    huge = owner.client.get(f"{BASE}?page_size=100000000000000000000")
    assert huge.status_code == 200
    assert len(huge.json()["results"]) == 5
    assert owner.client.get(f"{BASE}?page=99").status_code == 404


def test_search_is_case_insensitive_in_cyrillic_and_with_yo(owner, tenant):
    customer = CustomerFactory(tenant=tenant, first_name="Пётр", last_name="ЁЛКИН", email="Petr@Mail.uz")

    for term in ("пётр", "ПЕТР", "елкин", "Ёлкин", "petr@mail", "ёлкин пётр"):
        response = owner.client.get(BASE, {"search": term})
        assert [row["id"] for row in response.json()["results"]] == [customer.pk], term


@pytest.mark.parametrize("term", ["+998 90 123", " 99890123", "90-123-45", "901234567", "(90) 123"])
def test_search_by_partial_phone(owner, tenant, term):
    customer = CustomerFactory(tenant=tenant, phone="+998901234567")
    CustomerFactory(tenant=tenant, phone="+998911111111")

    response = owner.client.get(BASE, {"search": term})

    assert [row["id"] for row in response.json()["results"]] == [customer.pk]


def test_search_with_nul_and_huge_terms_is_safe(owner, tenant):
    CustomerFactory(tenant=tenant)

    nul = owner.client.get(BASE, {"search": "ali\x00"})
    assert nul.status_code == 400
    assert list(nul.json()) == ["search"]
    assert owner.client.get(BASE, {"search": "x" * 5000}).json()["count"] == 0


def test_search_by_phone_needs_a_phone(owner):
    response = owner.client.get(f"{BASE}search_by_phone/")
    assert response.status_code == 400
    assert response.json() == {"phone": ["Обязательное поле."]}
    response = owner.client.get(f"{BASE}search_by_phone/", {"phone": "hello"})
    assert response.status_code == 400
    assert response.json() == {"phone": ["Введите правильное значение."]}


def test_search_by_phone_is_tenant_scoped(owner, other_tenant):
    CustomerFactory(tenant=other_tenant, phone="+998901234567")

    response = owner.client.get(f"{BASE}search_by_phone/?phone=+998901234567")

    assert response.status_code == 404


def test_search_by_phone_without_slash_and_in_uzbek(owner, tenant):
    response = owner.client.get(
        "/api/customers/customers/search_by_phone?phone=+998901234567", HTTP_ACCEPT_LANGUAGE="uz"
    )

    assert response.status_code == 404
    assert response.json() == {"status": "error", "message": "Mijoz topilmadi"}


def test_routes_answer_without_trailing_slash(owner, tenant):
    customer = CustomerFactory(tenant=tenant)
    group = CustomerGroupFactory(tenant=tenant)
    for path in (
        "/api/customers/customers",
        f"/api/customers/customers/{customer.pk}",
        "/api/customers/customers/vip_customers",
        "/api/customers/groups",
        f"/api/customers/groups/{group.pk}",
        f"/api/customers/groups/{group.pk}/members",
    ):
        assert owner.client.get(path).status_code == 200, path


# --- groups ----------------------------------------------------------------------------------------


def test_deleting_a_group_with_members_is_refused(owner, tenant):
    group = CustomerGroupFactory(tenant=tenant)
    member = CustomerFactory(tenant=tenant, group=group)

    response = owner.client.delete(f"{GROUPS}{group.pk}/")

    assert response.status_code == 409
    assert response.json()["status"] == "error"
    assert "1" in response.json()["message"]
    assert CustomerGroup.objects.filter(pk=group.pk).exists()
    member.refresh_from_db()
    assert member.group_id == group.pk
    assert not ChangeLogEntry.objects.exists()


def test_deleting_a_group_with_detach_members_leaves_them_without_group(owner, tenant):
    group = CustomerGroupFactory(tenant=tenant)
    member = CustomerFactory(tenant=tenant, group=group)

    response = owner.client.delete(f"{GROUPS}{group.pk}/?detach_members=true")

    assert response.status_code == 204
    assert not CustomerGroup.objects.filter(pk=group.pk).exists()
    member.refresh_from_db()
    assert member.group_id is None
    entry = ChangeLogEntry.objects.get(object_type="customers.customergroup")
    assert (entry.action, entry.object_id, entry.actor_id, entry.tenant_id) == (
        "delete",
        group.pk,
        owner.user.pk,
        tenant.pk,
    )
    assert entry.changes["name"] == [group.name, None]


def test_group_validation(owner, tenant):
    CustomerGroupFactory(tenant=tenant, name="VIP")

    assert owner.client.post(GROUPS, {"name": "VIP"}, format="json").json() == {
        "name": ["Группа покупателей с таким названием уже существует"]
    }
    response = owner.client.post(GROUPS, {"name": "X", "discount_percent": 101}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["discount_percent"]
    response = owner.client.post(GROUPS, {"name": "X", "discount_percent": -1}, format="json")
    assert response.status_code == 400
    assert owner.client.post(GROUPS, {}, format="json").json() == {"name": ["Обязательное поле."]}
    assert CustomerGroup.objects.count() == 1


def test_group_members_of_unknown_group_is_404(owner):
    response = owner.client.get(f"{GROUPS}424242/members/")

    assert response.status_code == 404
    assert response.json() == {"status": "error", "message": "Группа покупателей не найдена"}


def test_group_members_ordering_uses_customer_fields(owner, tenant):
    group = CustomerGroupFactory(tenant=tenant)
    b = CustomerFactory(tenant=tenant, group=group, last_name="B")
    a = CustomerFactory(tenant=tenant, group=group, last_name="A")

    response = owner.client.get(f"{GROUPS}{group.pk}/members/?ordering=last_name")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [a.pk, b.pk]


def test_vip_query_count_is_constant_with_groups(owner, tenant, settings):
    settings.SAVDO_CACHED_COUNTS = False  # both sides run their count
    settings.SAVDO_RESPONSE_CACHE = False  # and the view itself

    def run():
        with CaptureQueriesContext(connection) as queries:
            assert owner.client.get(f"{BASE}vip_customers/?page_size=100").status_code == 200
        return len(queries)

    CustomerFactory(tenant=tenant, group=CustomerGroupFactory(tenant=tenant, discount_percent=15))
    run()
    few = run()
    for _ in range(8):
        CustomerFactory(tenant=tenant, group=CustomerGroupFactory(tenant=tenant, discount_percent=15))
    assert run() == few


def test_a_member_of_two_stores_picks_one_with_the_tenant_key(tenant, other_tenant):
    member = Member(tenant, Role.OWNER)
    Member(other_tenant, Role.OWNER)
    from savdo.tenancy.models import Membership

    Membership.objects.create(user=member.user, tenant=other_tenant, role=Role.CASHIER)
    CustomerFactory(tenant=other_tenant, phone="+998901234567")

    assert member.client.get(f"{BASE}search_by_phone/?phone=+998901234567").status_code == 404
    other = member.client.get(f"{BASE}search_by_phone/?phone=+998901234567", HTTP_X_TENANT_KEY=other_tenant.key)
    assert other.status_code == 200
