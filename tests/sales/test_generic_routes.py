"""The generic endpoint checks (tests/generic.py) on the till: the commands on a pending sale
(add-item, remove-item, set-customer, checkout), scan-item, the current sale and shift, and closing
a shift. Agents are not store staff (403 everywhere here); another store's sale or shift is 404 to
every command and changes nothing. A cashier works in their own shift only: in another cashier's,
the sale's commands are 403 (the service's rule) and the shift is not even visible (404)."""

from decimal import Decimal

from savdo.sales.models import CashSession, Sale, SaleItem
from savdo.tenancy.models import Role
from tests.catalog.factories import ProductFactory
from tests.conftest import Member, client_for
from tests.factories import MembershipFactory
from tests.generic import EndpointChecks
from tests.inventory.factories import receive
from tests.sales.factories import make_customer, open_shift, ring_up

SALES = "/api/sales/sales/"
SESSIONS = "/api/sales/sessions/"
SALE_COMMANDS = [
    ("post", SALES + "{pk}/add-item/"),
    ("delete", SALES + "{pk}/remove-item/"),
    ("post", SALES + "{pk}/set-customer/"),
    ("post", SALES + "{pk}/checkout/"),
]


def _stocked_product(tenant):
    product = ProductFactory(tenant=tenant, sale_price=Decimal("1000"))
    receive(product, 10)
    return product


def pending_sale(tenant, membership=None) -> Sale:
    """A pending sale with one line, in the open shift of `membership` (a new cashier's)."""
    membership = membership or MembershipFactory(tenant=tenant, role=Role.CASHIER)
    open_shift(membership)
    return ring_up(membership, [(_stocked_product(tenant), 1)])


def _sales_state():
    return list(Sale.objects.order_by("pk").values()), list(SaleItem.objects.order_by("pk").values())


class TestPendingSaleCommands(EndpointChecks):
    model = Sale
    commands = SALE_COMMANDS
    forbidden = [(method, template, Role.AGENT) for method, template in SALE_COMMANDS]

    def make_object(self, tenant):
        return pending_sale(tenant)

    def _snapshot(self):
        return _sales_state()

    def test_another_cashiers_sale_is_403_and_unchanged(self, tenant):
        """With a valid body (an empty one is a 400 first), a cashier of the same store is refused
        the commands on a sale of another cashier's shift."""
        sale = pending_sale(tenant)
        line = sale.items.get()
        other = Member(tenant, Role.CASHIER)
        bodies = {
            "add-item": {"product": _stocked_product(tenant).pk},
            "remove-item": {"item_id": line.pk},
            "set-customer": {"customer": make_customer(tenant).pk},
            "checkout": {"payments": [{"payment_method": "cash", "amount": str(sale.total_amount)}]},
        }
        before = _sales_state()
        for method, template in SALE_COMMANDS:
            path = template.format(pk=sale.pk)
            body = bodies[path.rstrip("/").rsplit("/", 1)[1]]
            response = getattr(other.client, method)(path, body, format="json")
            assert response.status_code == 403, (path, response.status_code, response.content[:200])
        assert _sales_state() == before


class TestScanItemEndpoint(EndpointChecks):
    """`scan-item/` has no id in its path (it works on the caller's open shift): another store's
    product or shift can only come in the body, where it reads as not found (400 on the field).
    Its object is a product to scan, so no `model` (the cross-store test picks makers by model)."""

    forbidden = [("post", SALES + "scan-item/", Role.AGENT)]

    def make_object(self, tenant):
        return _stocked_product(tenant)

    def _snapshot(self):
        return _sales_state()

    def test_anonymous_is_401(self, anon, tenant):
        product = self.make_object(tenant)
        for path in (SALES + "scan-item/", SALES + "scan-item"):
            response = anon.post(path, {"product": product.pk}, format="json", HTTP_X_TENANT_KEY=tenant.key)
            assert response.status_code == 401, (path, response.status_code)
        assert not Sale.objects.exists()

    def test_other_tenants_object_is_404(self, tenant, other_tenant):
        cashier = Member(tenant, Role.CASHIER)
        own_product = self.make_object(tenant)
        open_shift(cashier.membership)
        foreign = pending_sale(other_tenant)
        foreign_product = foreign.items.get().product
        before = _sales_state()
        for body, field in [
            ({"product": foreign_product.pk}, "product"),
            ({"barcode": foreign_product.barcode}, "barcode"),
            ({"product": own_product.pk, "session": foreign.session_id}, "session"),
        ]:
            response = cashier.client.post(SALES + "scan-item/", body, format="json")
            assert response.status_code == 400, (body, response.status_code, response.content[:200])
            assert list(response.json()) == [field], response.content
            assert foreign.receipt_number not in response.content.decode()
        assert _sales_state() == before


class TestCurrentSaleEndpoint(EndpointChecks):
    """`current/`: the pending sale of the caller's open shift (or of `?session=`)."""

    model = Sale
    extra_paths = [SALES + "current/"]
    forbidden = [("get", SALES + "current/", Role.AGENT)]

    def make_object(self, tenant):
        return pending_sale(tenant)

    def test_another_stores_shift_and_sale_never_show(self, tenant, other_tenant):
        """One person, a cashier in both stores, with a pending sale in the other one: in this store
        they have no open shift; the other store's shift id is not found here."""
        theirs = MembershipFactory(tenant=other_tenant, role=Role.CASHIER)
        foreign = pending_sale(other_tenant, theirs)
        MembershipFactory(tenant=tenant, user=theirs.user, role=Role.CASHIER)
        client = client_for(theirs.user, tenant)
        response = client.get(SALES + "current/")
        assert response.status_code == 404, response.content
        response = client.get(f"{SALES}current/?session={foreign.session_id}")
        assert response.status_code == 400
        assert list(response.json()) == ["session"]
        assert foreign.receipt_number not in response.content.decode()
        # ... and in the other store the same person sees it.
        assert client_for(theirs.user, other_tenant).get(SALES + "current/").json()["data"]["id"] == foreign.pk


class TestCloseShiftCommand(EndpointChecks):
    model = CashSession
    commands = [("post", SESSIONS + "{pk}/close/")]
    forbidden = [("post", SESSIONS + "{pk}/close/", Role.AGENT)]

    def make_object(self, tenant):
        return pending_sale(tenant).session

    def test_another_cashiers_shift_is_404_and_stays_open(self, tenant):
        session = self.make_object(tenant)
        other = Member(tenant, Role.CASHIER)
        response = other.client.post(f"{SESSIONS}{session.pk}/close/", {"actual_cash": "0"}, format="json")
        assert response.status_code == 404, response.content
        session.refresh_from_db()
        assert session.status == "open"


class TestCurrentShiftEndpoint(EndpointChecks):
    """`current/`: the caller's open shift (404 when they have none)."""

    model = CashSession
    extra_paths = [SESSIONS + "current/"]
    forbidden = [("get", SESSIONS + "current/", Role.AGENT)]

    def make_object(self, tenant):
        return open_shift(MembershipFactory(tenant=tenant, role=Role.CASHIER))

    def test_another_stores_open_shift_is_not_mine_here(self, tenant, other_tenant):
        theirs = MembershipFactory(tenant=other_tenant, role=Role.CASHIER)
        foreign = open_shift(theirs)
        MembershipFactory(tenant=tenant, user=theirs.user, role=Role.CASHIER)
        assert client_for(theirs.user, tenant).get(SESSIONS + "current/").status_code == 404
        assert client_for(theirs.user, other_tenant).get(SESSIONS + "current/").json()["data"]["id"] == foreign.pk
