"""What every surface's views share: the request's tenant, its time zone, role permissions."""

from zoneinfo import ZoneInfo

from django.utils import timezone
from rest_framework.permissions import IsAuthenticated

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
            membership = resolve_membership(user, request.META.get(TENANT_HEADER))
            request.membership = membership
            request.tenant = membership.tenant
            request._request.tenant = membership.tenant
            timezone.activate(ZoneInfo(membership.tenant.time_zone))
        super().check_permissions(request)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        timezone.deactivate()
        return response

    def get_queryset(self):
        return super().get_queryset().for_tenant(self.request.tenant)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["tenant"] = getattr(self.request, "tenant", None)
        context["membership"] = getattr(self.request, "membership", None)
        return context
