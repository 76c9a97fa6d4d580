"""What every surface's views share: the request's tenant, its time zone, role permissions."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.routers import SimpleRouter

from savdo.accounts.authentication import SavdoJWTAuthentication
from savdo.api import principals
from savdo.api.throttling import ScopedRateThrottle
from savdo.tenancy.permissions import HasTenantRole
from savdo.tenancy.resolution import TENANT_HEADER, resolve_membership


class TenantScopedMixin:
    """Resolves `request.membership` and `request.tenant` right after authentication.

    Querysets are scoped with `for_tenant(request.tenant)`, so another tenant's object is a 404.
    Datetimes render in the tenant's time zone for the rest of the request.
    """

    permission_classes = [IsAuthenticated, HasTenantRole]
    tenant_model_queryset = None

    def check_permissions(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(request, "membership", None) is None:
            membership = self._membership(request, user)
            request.membership = membership
            request.tenant = membership.tenant
            request._request.tenant = membership.tenant
            try:
                timezone.activate(ZoneInfo(membership.tenant.time_zone))
            except (ZoneInfoNotFoundError, ValueError):  # a mistyped zone falls back to TIME_ZONE
                timezone.deactivate()
        super().check_permissions(request)

    @staticmethod
    def _membership(request, user):
        """The membership from the principal cache if the authentication found it there, else the
        database's answer (stored in the cache for the next request with this token)."""
        found = getattr(request, "principal_lookup", None)
        if found is not None and found.principal is not None and found.principal.membership is not None:
            return found.principal.membership
        membership = resolve_membership(user, request.META.get(TENANT_HEADER))
        if found is not None:
            principals.store(found, user=user, membership=membership)
        return membership

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        timezone.deactivate()
        return response

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no tenant
            return queryset.none()
        return queryset.for_tenant(self.request.tenant)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["tenant"] = getattr(self.request, "tenant", None)
        context["membership"] = getattr(self.request, "membership", None)
        return context


class SignInViewMixin:
    """Sign-in and token endpoints (every surface's login/refresh): open to anyone, throttled per
    client address by the "auth" rate.

    No authentication runs on them, so a stale token left in a client's header cannot block its
    login; the `WWW-Authenticate` header is still offered, which makes wrong credentials a 401
    (DRF turns an AuthenticationFailed into 403 on views without an authentication header).
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    def get_authenticate_header(self, request) -> str:
        return SavdoJWTAuthentication().authenticate_header(request)


class OptionalSlashRouter(SimpleRouter):
    """A router whose routes answer with and without the trailing slash (no redirects).

    `SimpleRouter(trailing_slash="/?")` does not do it: DRF turns any truthy value into "/".
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trailing_slash = "/?"
