"""The telecom surface's conventions (document 004): DRF shapes, `?page=&page_size=` (100 by default)."""

from django.conf import settings
from rest_framework.pagination import PageNumberPagination

from savdo.api.errors import drf_style_body, make_exception_handler
from savdo.api.paginators import DeferredJoinPaginator

exception_handler = make_exception_handler(drf_style_body)


class TelecomPagination(PageNumberPagination):
    django_paginator_class = DeferredJoinPaginator
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = settings.MAX_PAGE_SIZE


class TelecomErrorsMixin:
    def get_exception_handler(self):
        return exception_handler
