"""The telecom surface's conventions (document 004): DRF shapes, `?page=&page_size=` (100 by
default), `{"field": ["message"]}` validation errors, `{"status": "error", "message"}` otherwise,
routes with and without the trailing slash, numeric ids in routes (so `/api/customers/customers/`
and `/api/customers/groups/` of document 000 keep their meaning)."""

from django.conf import settings
from rest_framework.pagination import PageNumberPagination

from savdo.api.base import OptionalSlashRouter
from savdo.api.errors import drf_style_body, make_exception_handler
from savdo.api.kernel import TenantModelViewSet, TenantViewSet
from savdo.api.paginators import DeferredJoinPaginator

exception_handler = make_exception_handler(drf_style_body)

ID_PATTERN = "[0-9]{1,18}"


class TelecomPagination(PageNumberPagination):
    django_paginator_class = DeferredJoinPaginator
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = settings.MAX_PAGE_SIZE


class TelecomErrorsMixin:
    def get_exception_handler(self):
        return exception_handler


class TelecomViewMixin(TelecomErrorsMixin):
    pagination_class = TelecomPagination
    lookup_value_regex = ID_PATTERN


class TelecomModelViewSet(TelecomViewMixin, TenantModelViewSet):
    """CRUD of a document 004 resource on the kernel: set model, selector, serializer, services."""


class TelecomViewSet(TelecomViewMixin, TenantViewSet):
    """Command-style or read-only document 004 endpoints on the kernel."""


def telecom_router() -> OptionalSlashRouter:
    return OptionalSlashRouter()
