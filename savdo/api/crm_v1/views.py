"""Document 003 (CRM `/api/v1`): auth (email login, logout ending the whole session, refresh
rotation), customers, deals, activities, the dashboard and the sales analytics.

Roles (the user's role in the store, as the login answer's `role`):
- customers: every role reads, creates and edits; owner, admin and manager delete;
- deals: every role reads; owner, admin and manager create, edit and delete;
- activities: every role reads and records them;
- analytics: owner, admin and manager.
"""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from savdo.accounts import services
from savdo.api.base import SignInViewMixin
from savdo.api.crm_v1 import serializers as crm_serializers
from savdo.api.crm_v1.conventions import CrmErrorsMixin, CrmModelViewSet, CrmPagination, CrmViewSet, ok
from savdo.api.filters import related_id_filter
from savdo.crm import selectors as crm_selectors
from savdo.crm import services as crm_services
from savdo.crm.choices import ActivityType, DealStatus
from savdo.crm.models import Activity, Deal
from savdo.customers import selectors as customer_selectors
from savdo.customers import services as customer_services
from savdo.customers.models import Customer
from savdo.tenancy.models import Membership
from savdo.tenancy.resolution import TENANT_HEADER
from savdo.tenancy.roles import ALL_ROLES, MANAGERS

# 003 shows this sentence in English and front ends compare it: it is not translated.
LOGGED_OUT = "Successfully logged out"


class CrmLoginSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True)


class CrmRefreshSerializer(serializers.Serializer):
    refreshToken = serializers.CharField(max_length=4096)


class CrmLogoutSerializer(serializers.Serializer):
    refreshToken = serializers.CharField(max_length=4096, required=False)


class CrmUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField(allow_blank=True)  # a user registered without one: ""
    name = serializers.CharField()
    role = serializers.CharField()


def crm_user(user, tenant_key: str | None) -> dict:
    """003's user: `role` is the role in the tenant the request names (else the oldest store), or
    003's default "user" for someone without a store."""
    memberships = (
        Membership.objects.filter(user=user, is_active=True, tenant__is_active=True)
        .select_related("tenant")
        .order_by("created_at", "id")
    )
    if tenant_key:
        memberships = memberships.filter(tenant__key=tenant_key.strip())
    membership = memberships.first()
    return {"id": user.pk, "email": user.email, "name": user.name, "role": membership.role if membership else "user"}


class CrmAuthView(CrmErrorsMixin, SignInViewMixin, APIView):
    pass


class LoginView(CrmAuthView):
    @extend_schema(
        request=CrmLoginSerializer,
        responses={
            200: inline_serializer(
                "CrmLoginEnvelope",
                {
                    "success": serializers.BooleanField(),
                    "data": inline_serializer(
                        "CrmLoginData",
                        {
                            "user": CrmUserSerializer(),
                            "token": serializers.CharField(),
                            "refreshToken": serializers.CharField(),
                        },
                    ),
                },
            )
        },
    )
    def post(self, request):
        payload = CrmLoginSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        email = payload.validated_data["email"]
        password = payload.validated_data["password"]
        # The same answer for an unknown email and a wrong password: nobody learns who has an account.
        invalid = _("Invalid email or password.")
        username = services.user_by_email_for_login(email)
        if not username:
            services.password_check_dummy(password)
            raise AuthenticationFailed(invalid)
        try:
            user = services.user_authenticate(request=request._request, username=username, password=password)
        except AuthenticationFailed as exc:
            raise AuthenticationFailed(invalid) from exc
        pair = services.token_pair(user)
        return ok(
            {
                "user": crm_user(user, request.META.get(TENANT_HEADER)),
                "token": pair["access"],
                "refreshToken": pair["refresh"],
            }
        )


class RefreshView(CrmAuthView):
    @extend_schema(
        request=CrmRefreshSerializer,
        responses={
            200: inline_serializer(
                "CrmRefreshEnvelope",
                {
                    "success": serializers.BooleanField(),
                    "data": inline_serializer(
                        "CrmRefreshData", {"token": serializers.CharField(), "refreshToken": serializers.CharField()}
                    ),
                },
            )
        },
    )
    def post(self, request):
        payload = CrmRefreshSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        pair = services.refresh_rotate(refresh=payload.validated_data["refreshToken"])
        return ok({"token": pair["access"], "refreshToken": pair["refresh"]})


class LogoutView(CrmErrorsMixin, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=CrmLogoutSerializer,
        responses={
            200: inline_serializer(
                "CrmLogoutEnvelope", {"success": serializers.BooleanField(), "message": serializers.CharField()}
            )
        },
    )
    def post(self, request):
        payload = CrmLogoutSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.user_logout(user=request.user, access=request.auth, refresh=payload.validated_data.get("refreshToken"))
        return ok(message=LOGGED_OUT)


# --- customers ---------------------------------------------------------------------------------------


class CustomerFilter(filters.FilterSet):
    """`?search=` (name, e-mail, company, phone: every word, case-insensitive in any script) and
    `?status=` (003's `active`, `potential`, `waiting`; anything else is a 400)."""

    search = filters.CharFilter(method="filter_search")
    status = filters.ChoiceFilter(choices=[(s, s) for s in crm_serializers.CRM_CUSTOMER_STATUSES])

    class Meta:
        model = Customer
        fields = ["search", "status"]

    def filter_search(self, queryset, name, value):
        return customer_selectors.customer_search(queryset, value)


class CustomerViewSet(CrmModelViewSet):
    model = Customer
    selector = customer_selectors.customer_list
    serializer_class = crm_serializers.CrmCustomerSerializer
    create_service = customer_services.customer_create
    update_service = customer_services.customer_update
    destroy_service = crm_services.customer_delete
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = CustomerFilter
    default_roles = ALL_ROLES
    action_roles = {"destroy": MANAGERS}
    object_key = "customer"
    rows_key = "customers"
    deleted_message = "Customer deleted successfully"
    not_found_message = pgettext_lazy("crm", "Customer not found.")
    read_cache = {"list": ("customers",), "retrieve": ("customers",)}
    error_fields = {
        "display_name": "name",
        "first_name": "name",
        "last_name": "name",
        "middle_name": "name",
        "company_name": "company",
        "deal_value": "value",
    }


# --- deals -------------------------------------------------------------------------------------------


class DealFilter(filters.FilterSet):
    """`?status=` (new, in_progress, completed, cancelled) and `?customerId=` (another store's id is
    an empty list, as an id that exists nowhere)."""

    status = filters.ChoiceFilter(choices=DealStatus.choices)
    customerId = related_id_filter("customer")

    class Meta:
        model = Deal
        fields = ["status", "customerId"]


class DealPagination(CrmPagination):
    items_per_page = False  # 003 shows the deals' pagination without it


class DealViewSet(CrmModelViewSet):
    model = Deal
    selector = crm_selectors.deal_list
    serializer_class = crm_serializers.CrmDealSerializer
    create_service = crm_services.deal_create
    update_service = crm_services.deal_update
    destroy_service = crm_services.deal_delete
    pagination_class = DealPagination
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = DealFilter
    default_roles = ALL_ROLES
    action_roles = dict.fromkeys(["create", "update", "partial_update", "destroy"], MANAGERS)
    object_key = "deal"
    rows_key = "deals"
    deleted_message = "Deal deleted successfully"
    not_found_message = pgettext_lazy("crm", "Deal not found.")
    read_cache = {"list": ("crm", "customers"), "retrieve": ("crm", "customers")}
    error_fields = {"customer": "customerId"}


# --- activities --------------------------------------------------------------------------------------


class ActivityFilter(filters.FilterSet):
    """`?type=` (call, email, meeting, deal) and `?customerId=`."""

    type = filters.ChoiceFilter(choices=ActivityType.choices)
    customerId = related_id_filter("customer")

    class Meta:
        model = Activity
        fields = ["type", "customerId"]


class ActivityPagination(CrmPagination):
    with_totals = False  # 003 shows the activities without a pagination block


class ActivityViewSet(CrmModelViewSet):
    model = Activity
    selector = crm_selectors.activity_list
    serializer_class = crm_serializers.CrmActivitySerializer
    create_service = crm_services.activity_create
    pagination_class = ActivityPagination
    http_method_names = ["get", "post", "head", "options"]
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = ActivityFilter
    default_roles = ALL_ROLES
    object_key = "activity"
    rows_key = "activities"
    not_found_message = pgettext_lazy("crm", "Activity not found.")
    read_cache = {"list": ("crm", "customers"), "retrieve": ("crm", "customers")}
    error_fields = {"customer": "customerId"}


# --- analytics -----------------------------------------------------------------------------------------


def _money_number(value) -> float:
    """An amount as the JSON number 003 shows (exact to the cent within a double's 15 digits)."""
    return float(value)


class AnalyticsViewSet(CrmViewSet):
    """`GET /analytics/dashboard` and `GET /analytics/sales` (owner, admin, manager)."""

    model = Deal
    default_roles = MANAGERS
    filter_backends: list = []
    read_cache = {"dashboard": ("crm", "customers"), "sales": ("crm", "customers")}

    @extend_schema(responses={200: crm_serializers.DashboardSerializer})
    def dashboard(self, request):
        board = crm_selectors.crm_dashboard(tenant=request.tenant)
        return ok(
            {
                "totalCustomers": board.total_customers,
                "monthlySales": _money_number(board.monthly_sales),
                "activeDeals": board.active_deals,
                "conversionRate": _money_number(board.conversion_rate),
                "customersByStatus": board.customers_by_status,
                "salesTrend": [
                    {"month": crm_selectors.bucket_label(month, "monthly"), "sales": _money_number(sales)}
                    for month, sales in board.sales_trend
                ],
            }
        )

    @extend_schema(parameters=[crm_serializers.SalesQuerySerializer], responses={200: crm_serializers.SalesSerializer})
    def sales(self, request):
        query = crm_serializers.SalesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = crm_selectors.crm_sales(
            tenant=request.tenant,
            start=query.validated_data.get("startDate"),
            end=query.validated_data.get("endDate"),
            period=query.validated_data["period"],
        )
        return ok(
            {
                "totalSales": _money_number(report.total_sales),
                "salesByPeriod": [
                    {"period": row.label, "sales": _money_number(row.sales), "deals": row.deals}
                    for row in report.by_period
                ],
                "topCustomers": [
                    {
                        "customerId": top.customer_id,
                        "customerName": top.name,
                        "totalValue": _money_number(top.total_value),
                    }
                    for top in report.top_customers
                ],
            }
        )
