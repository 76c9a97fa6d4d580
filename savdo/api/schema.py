"""OpenAPI: each operation is tagged with the surface (document) it belongs to; tenant-scoped
operations document the `X-Tenant-Key` header; the one JWT scheme is described once."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_mock_request
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

SURFACE_TAGS = {
    "retail": "retail (documents 000, 001)",
    "clients": "clients (document 002)",
    "crm_v1": "crm v1 (document 003)",
    "telecom": "telecom (document 004)",
}

TENANT_KEY_PARAMETER = OpenApiParameter(
    name="X-Tenant-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The store to act in (`key` from the profile's `tenants`); the oldest store without it.",
)


class SavdoJWTScheme(SimpleJWTScheme):
    """Our JWT authentication is simplejwt's, so it is documented as simplejwt's bearer scheme."""

    target_class = "savdo.accounts.authentication.SavdoJWTAuthentication"
    match_subclasses = True  # savdo.api.authentication.CachedJWTAuthentication
    name = "jwtAuth"


class SurfaceAutoSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        module = type(self.view).__module__
        parts = module.split(".")
        if len(parts) > 2 and parts[0] == "savdo" and parts[1] == "api":
            return [SURFACE_TAGS.get(parts[2], parts[2])]
        return super().get_tags()

    def get_override_parameters(self) -> list:
        from savdo.api.base import TenantScopedMixin

        parameters = list(super().get_override_parameters())
        if isinstance(self.view, TenantScopedMixin):
            parameters.append(TENANT_KEY_PARAMETER)
        return parameters


def mock_request(method, path, view, original_request, **kwargs):
    """drf-spectacular's mock request for schema generation, with the request's tenant (none).

    Set as SPECTACULAR_SETTINGS["GET_MOCK_REQUEST"]: views whose `get_queryset()` reads
    `self.request.tenant` then still show their model (an empty `tenant=None` queryset; no query
    runs), instead of a "failed to obtain model" warning and an untyped schema.
    """
    request = build_mock_request(method, path, view, original_request, **kwargs)
    request.tenant = None
    request.membership = None
    request._request.tenant = None
    return request
