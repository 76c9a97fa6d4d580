"""The clients surface's conventions (document 002): camelCase bodies, `?page=&limit=` (20 by
default) lists answered as `{<rows key>: [...], pagination: {page, limit, total, totalPages}}`,
`{"message", "code", "errors"?}` errors, routes with and without the trailing slash."""

import math

from django.conf import settings
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from savdo.api.base import OptionalSlashRouter
from savdo.api.errors import clients_style_body, make_exception_handler
from savdo.api.kernel import TenantModelViewSet, TenantViewSet
from savdo.api.pagination import positive_int_param

exception_handler = make_exception_handler(clients_style_body)

ID_PATTERN = "[0-9]{1,18}"
DEFAULT_LIMIT = 20


class ClientsErrorsMixin:
    def get_exception_handler(self):
        return exception_handler


class ClientsPagination(BasePagination):
    """`?page=&limit=`; a page past the end is an empty page (not an error), as the document's
    front end pages until `page >= totalPages`. `rows_key` names the list (`clients`, `chats`)."""

    rows_key = "clients"
    default_limit = DEFAULT_LIMIT

    def paginate_queryset(self, queryset, request, view=None):
        self.page = positive_int_param(request, "page", default=1)
        self.limit = min(positive_int_param(request, "limit", default=self.default_limit), settings.MAX_PAGE_SIZE)
        self.total = queryset.count()
        start = (self.page - 1) * self.limit
        return list(queryset[start : start + self.limit]) if start < self.total else []

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
