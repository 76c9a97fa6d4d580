"""The retail surface's conventions (documents 000 and 001).

- errors: DRF's `{"field": ["message"]}` for validation, `{"status": "error", "message"}` otherwise;
- commands answer `{"status": "success", "message"?, "data"}` (001 §1, §3; 000 search_by_phone);
- lists: `?page=&page_size=` with `{count, next, previous, results}`;
- routes answer with and without the trailing slash.
"""

from django.conf import settings
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from savdo.api.base import OptionalSlashRouter, TenantScopedMixin
from savdo.api.errors import drf_style_body, make_exception_handler
from savdo.api.kernel import TenantModelViewSet, TenantViewSet
from savdo.api.paginators import DeferredJoinPaginator
from savdo.api.readcache import ReadCacheMixin

exception_handler = make_exception_handler(drf_style_body)

DEFAULT_PAGE_SIZE = 20


class RetailPagination(PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = settings.MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        self.tenant_id = getattr(getattr(request, "tenant", None), "pk", None)
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, object_list, per_page):
        """DRF builds its paginator through this attribute; a method lets it carry the tenant."""
        return DeferredJoinPaginator(object_list, per_page, tenant_id=self.tenant_id)


class RetailErrorsMixin:
    def get_exception_handler(self):
        return exception_handler


class RetailViewMixin(RetailErrorsMixin, ReadCacheMixin, TenantScopedMixin):
    pagination_class = RetailPagination


class RetailModelViewSet(RetailViewMixin, TenantModelViewSet):
    """CRUD of a tenant-owned model on the kernel: subclasses declare `model`, `selector`, the
    services, the serializer, filters and roles."""


class RetailViewSet(RetailViewMixin, TenantViewSet):
    """Command-style or read-only endpoints (actions, DRF's list/retrieve mixins) on the kernel."""


def success(data=None, *, message: str | None = None, status: int = 200) -> Response:
    body: dict = {"status": "success"}
    if message is not None:
        body["message"] = message
    if data is not None:
        body["data"] = data
    return Response(body, status=status)


def retail_router() -> SimpleRouter:
    """The retail surface's router: every route answers with and without its trailing slash."""
    return OptionalSlashRouter()
