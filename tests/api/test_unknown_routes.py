"""An unknown API route is a JSON 404 for every method, also for clients that never got a CSRF
cookie (every API client: they send tokens, not cookies)."""

import pytest
from rest_framework.test import APIClient


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_an_unknown_api_route_is_a_json_404_without_a_csrf_cookie(method):
    client = APIClient(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/no/such/route/", {}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
