"""Shared request limits: page-size parameters."""

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from savdo.api.pagination import positive_int_param
from savdo.api.retail.conventions import RetailPagination
from savdo.api.telecom.conventions import TelecomPagination


def _request(query: str) -> Request:
    return Request(APIRequestFactory().get(f"/api/x/?{query}"))


def test_absent_or_empty_gives_the_default():
    assert positive_int_param(_request(""), "limit", 10) == 10
    assert positive_int_param(_request("limit="), "limit", 10) == 10


def test_a_number_is_used_and_capped(settings):
    assert positive_int_param(_request("limit=25"), "limit", 10) == 25
    assert positive_int_param(_request("limit=100000"), "limit", 10) == settings.MAX_PAGE_SIZE
    assert positive_int_param(_request("days=400"), "days", 30, maximum=366) == 366


@pytest.mark.parametrize(
    ("value", "message"),
    [("abc", "Требуется целое число."), ("1.5", "Требуется целое число."), ("0", "Должно быть не меньше 1."),
     ("-3", "Должно быть не меньше 1.")],
)  # fmt: skip
def test_bad_values_are_field_errors(value, message):
    with pytest.raises(ValidationError) as caught:
        positive_int_param(_request(f"limit={value}"), "limit", 10)
    assert caught.value.detail == {"limit": [message]}


def test_surface_paginations_cap_the_page_size(settings):
    assert RetailPagination.page_size == 20
    assert TelecomPagination.page_size == 100  # 004: "100 records per page by default"
    for pagination in (RetailPagination, TelecomPagination):
        assert pagination.page_size_query_param == "page_size"
        assert pagination.max_page_size == settings.MAX_PAGE_SIZE


def test_the_clients_import_takes_a_bulk_body_and_other_routes_do_not(settings):
    from django.test import Client

    settings.MAX_BODY_BYTES = 1000
    settings.MAX_BULK_BODY_BYTES = 100_000
    body = "x" * 5000
    client = Client()
    assert client.post("/api/clients/import", body, content_type="application/json").status_code != 413
    assert client.post("/api/clients", body, content_type="application/json").status_code == 413
