"""Document 000: customers (`/api/customers/customers/`) and customer groups (`/api/customers/groups/`).

Not here: `{id}/purchase-history/` and `{id}/stats/` (the sales part of the retail surface).
Customers cannot be deleted through this surface: document 000 shows no DELETE (their sales refer
to them); switch them off with `is_active: false` or `is_blocked: true` instead.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.filters import OrderingFilter

from savdo.api.errors import Conflict
from savdo.api.retail.conventions import RetailModelViewSet, success
from savdo.api.retail.customers import serializers
from savdo.customers import selectors, services
from savdo.customers.models import Customer, CustomerGroup, CustomerType
from savdo.tenancy.roles import MANAGERS, STORE_STAFF

MAX_ID = serializers.MAX_ID
CUSTOMER_NOT_FOUND = gettext_lazy("Customer not found.")
GROUP_NOT_FOUND = gettext_lazy("Customer group not found.")
ID_PATTERN = "[0-9]{1,18}"

NOT_FOUND_RESPONSE = OpenApiResponse(serializers.RetailCustomerErrorSerializer, description="Not found")


# `?is_active=` / `?is_blocked=`: anything else is a 400, not silently ignored.
FLAG_CHOICES = [(value, value) for value in ("true", "false", "True", "False", "1", "0")]


def _flag(value: str) -> bool:
    return value in ("true", "True", "1")


class CustomerFilter(filters.FilterSet):
    """000 §4: `?search=`, `?customer_type=`, `?is_active=`, `?is_blocked=`, `?group=`."""

    search = filters.CharFilter(method="filter_search", label="Name, company, phone or e-mail contains")
    customer_type = filters.ChoiceFilter(choices=CustomerType.choices)
    is_active = filters.TypedChoiceFilter(choices=FLAG_CHOICES, coerce=_flag, method="filter_flags")
    is_blocked = filters.TypedChoiceFilter(choices=FLAG_CHOICES, coerce=_flag, method="filter_flags")
    group = filters.NumberFilter(field_name="group_id", min_value=1, max_value=MAX_ID)

    class Meta:
        model = Customer
        fields = ["search", "customer_type", "is_active", "is_blocked", "group"]

    def filter_search(self, queryset, name, value):
        return selectors.customer_search(queryset, value)

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_flags(self, queryset, name, value):
        if value in (None, ""):
            return queryset
        return selectors.customers_with_flags(queryset, **{name: value})


class NotFoundMessageMixin:
    """404s with the resource's message; the services' field errors in this surface's names."""

    not_found_message = gettext_lazy("Not found.")

    def handle_exception(self, exc):
        return super().handle_exception(serializers.surface_errors(exc))

    def get_object(self):
        try:
            return super().get_object()
        except Http404 as exc:
            raise NotFound(self.not_found_message) from exc


@extend_schema_view(
    retrieve=extend_schema(responses={200: serializers.RetailCustomerSerializer, 404: NOT_FOUND_RESPONSE}),
    update=extend_schema(responses={200: serializers.RetailCustomerSerializer, 404: NOT_FOUND_RESPONSE}),
    partial_update=extend_schema(responses={200: serializers.RetailCustomerSerializer, 404: NOT_FOUND_RESPONSE}),
)
class CustomerViewSet(NotFoundMessageMixin, RetailModelViewSet):
    """Create, list, search, read and edit customers (any store staff member, cashiers included)."""

    model = Customer
    selector = selectors.customer_list
    create_service = services.customer_create_with_flags
    update_service = services.customer_update_with_flags
    serializer_class = serializers.RetailCustomerSerializer
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    filterset_class = CustomerFilter
    ordering_fields = [
        "id",
        "created_at",
        "updated_at",
        "first_name",
        "last_name",
        "company_name",
        "total_purchases",
        "total_purchases_count",
        "last_purchase_at",
        "loyalty_points",
    ]
    ordering = ["-created_at", "-id"]
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    default_roles = STORE_STAFF
    not_found_message = CUSTOMER_NOT_FOUND
    read_cache = dict.fromkeys(["list", "retrieve", "search_by_phone", "vip_customers"], ("customers",))

    @extend_schema(
        parameters=[OpenApiParameter("phone", OpenApiTypes.STR, required=True, description="+998XXXXXXXXX")],
        responses={200: serializers.RetailCustomerPhoneEnvelopeSerializer, 404: NOT_FOUND_RESPONSE},
    )
    @action(detail=False, methods=["get"], url_path="search_by_phone", filter_backends=[], pagination_class=None)
    def search_by_phone(self, request):
        """000 §5: the customer with this phone, in the `{status, data}` envelope."""
        query = serializers.RetailPhoneQuerySerializer(data=request.query_params, context=self.get_serializer_context())
        query.is_valid(raise_exception=True)
        customer = selectors.customer_by_phone(tenant=request.tenant, phone=query.validated_data["phone"])
        if customer is None:
            raise NotFound(CUSTOMER_NOT_FOUND)
        return success(serializers.RetailCustomerPhoneResultSerializer(customer).data)

    @extend_schema(responses={200: serializers.RetailCustomerSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="vip_customers")
    def vip_customers(self, request):
        """000 §8: customers whose own or whose (active) group's discount is at least 10 %."""
        queryset = self.filter_queryset(selectors.customer_vip_list(tenant=request.tenant))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_view(
    retrieve=extend_schema(responses={200: serializers.RetailCustomerGroupSerializer, 404: NOT_FOUND_RESPONSE}),
    partial_update=extend_schema(responses={200: serializers.RetailCustomerGroupSerializer, 404: NOT_FOUND_RESPONSE}),
    update=extend_schema(responses={200: serializers.RetailCustomerGroupSerializer, 404: NOT_FOUND_RESPONSE}),
    destroy=extend_schema(
        parameters=[
            OpenApiParameter(
                "detach_members",
                OpenApiTypes.BOOL,
                description="Delete a group that has members, leaving them without a group. "
                "Without it such a group is refused with 409.",
            )
        ],
        responses={
            204: None,
            404: NOT_FOUND_RESPONSE,
            409: OpenApiResponse(serializers.RetailCustomerErrorSerializer, description="The group has members"),
        },
    ),
)
class CustomerGroupViewSet(NotFoundMessageMixin, RetailModelViewSet):
    """Customer groups with their discount. Everyone in the store reads them; managers and above
    create, edit and delete them (a group's discount is a pricing decision)."""

    model = CustomerGroup
    selector = selectors.customer_group_list
    create_service = services.customer_group_create
    update_service = services.customer_group_update
    destroy_service = services.customer_group_delete
    instance_argument = "group"
    serializer_class = serializers.RetailCustomerGroupSerializer
    filter_backends = [OrderingFilter]
    ordering_fields = ["id", "name", "discount_percent", "created_at"]
    ordering = ["name", "id"]
    lookup_value_regex = ID_PATTERN
    default_roles = STORE_STAFF
    action_roles = {
        "create": MANAGERS,
        "update": MANAGERS,
        "partial_update": MANAGERS,
        "destroy": MANAGERS,
    }
    not_found_message = GROUP_NOT_FOUND
    read_cache = dict.fromkeys(["list", "retrieve", "members"], ("customers",))

    def write_options(self) -> dict:
        if self.action != "destroy":
            return {}
        detach = self.request.query_params.get("detach_members", "").strip().lower() in ("1", "true", "yes")
        return {"detach_members": detach}

    def handle_exception(self, exc):
        if isinstance(exc, services.CustomerGroupInUse):
            exc = Conflict(
                _(
                    "The group has %(count)s customer(s). Move them to another group first, "
                    "or delete with ?detach_members=true to leave them without a group."
                )
                % {"count": exc.members}
            )
        return super().handle_exception(exc)

    @extend_schema(responses={200: serializers.RetailCustomerSerializer(many=True), 404: NOT_FOUND_RESPONSE})
    @action(
        detail=True,
        methods=["get"],
        serializer_class=serializers.RetailCustomerSerializer,
        filter_backends=[OrderingFilter],
        ordering_fields=CustomerViewSet.ordering_fields,
        ordering=CustomerViewSet.ordering,
    )
    def members(self, request, pk=None):
        """000: the group's customers, paginated like the customer list."""
        # Not get_object(): this action's ordering fields are the customers', not the groups'.
        group = CustomerGroup.objects.for_tenant(request.tenant).filter(pk=pk).first()
        if group is None:
            raise NotFound(GROUP_NOT_FOUND)
        queryset = self.filter_queryset(selectors.customer_group_members(group=group))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
