"""The clients surface's conventions (document 002): camelCase bodies, `?page=&limit=` (20 by
default) lists answered as `{<rows key>: [...], pagination: {page, limit, total, totalPages}}`,
`{"message", "code", "errors"?}` errors, routes with and without the trailing slash."""

import math

from django.conf import settings
from django.db.models import QuerySet
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from savdo.api.base import OptionalSlashRouter
from savdo.api.errors import clients_style_body, make_exception_handler
from savdo.api.kernel import TenantModelViewSet, TenantViewSet
from savdo.api.pagination import positive_int_param
from savdo.api.paginators import DEFERRED_JOIN_FROM
from savdo.core.counts import cached_count

exception_handler = make_exception_handler(clients_style_body)

ID_PATTERN = "[0-9]{1,18}"
DEFAULT_LIMIT = 20
# The highest page number read (a larger one reads as this one: an empty page past the end).
MAX_PAGE = 1_000_000


class ClientsErrorsMixin:
    def get_exception_handler(self):
        return exception_handler


class ClientsPagination(BasePagination):
    """`?page=&limit=`; a page past the end is an empty page (not an error), as the document's
    front end pages until `page >= totalPages`. `rows_key` names the list (`clients`, `chats`)."""

    rows_key = "clients"
    default_limit = DEFAULT_LIMIT
    # Read a page's ids first even on the first pages: a view sets it for orders no index serves
    # (then the database sorts narrow rows, and only the page's rows are read and joined).
    ids_first = False

    def paginate_queryset(self, queryset, request, view=None):
        self.page = positive_int_param(request, "page", default=1, maximum=MAX_PAGE)
        self.limit = min(positive_int_param(request, "limit", default=self.default_limit), settings.MAX_PAGE_SIZE)
        tenant_id = getattr(getattr(request, "tenant", None), "pk", None)
        # Exact totals, cached per tenant until a write to the model's count scope (savdo/core/counts.py).
        self.total = cached_count(queryset, tenant_id=tenant_id) if isinstance(queryset, QuerySet) else len(queryset)
        start = (self.page - 1) * self.limit
        if start >= self.total:
            return []
        deep = start >= DEFERRED_JOIN_FROM or self.ids_first
        if isinstance(queryset, QuerySet) and deep and queryset.query.order_by:
            # Deep pages: the page's ids from the ordering index first, then only those rows
            # (savdo/api/paginators.py); prefetches still run once for the page.
            ids = list(queryset.values_list("pk", flat=True)[start : start + self.limit])
            by_id = {obj.pk: obj for obj in queryset.order_by().filter(pk__in=ids)}
            return [by_id[pk] for pk in ids if pk in by_id]
        return list(queryset[start : start + self.limit])

    def pagination_body(self) -> dict:
        return {
            "page": self.page,
            "limit": self.limit,
            "total": self.total,
            "totalPages": math.ceil(self.total / self.limit) if self.total else 0,
        }

    def get_paginated_response(self, data):
        return Response({self.rows_key: data, "pagination": self.pagination_body()})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": [self.rows_key, "pagination"],
            "properties": {
                self.rows_key: schema,
                "pagination": {
                    "type": "object",
                    "properties": {
                        "page": {"type": "integer"},
                        "limit": {"type": "integer"},
                        "total": {"type": "integer"},
                        "totalPages": {"type": "integer"},
                    },
                },
            },
        }


class ClientsViewMixin(ClientsErrorsMixin):
    pagination_class = ClientsPagination
    lookup_value_regex = ID_PATTERN


class ClientsModelViewSet(ClientsViewMixin, TenantModelViewSet):
    """CRUD of a document 002 resource on the kernel."""


class ClientsViewSet(ClientsViewMixin, TenantViewSet):
    """Command-style or read-only document 002 endpoints on the kernel."""


def clients_router() -> OptionalSlashRouter:
    return OptionalSlashRouter()
