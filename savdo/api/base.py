"""What every surface's views share: the request's tenant, its time zone, role permissions, and the
two guarantees no view can opt out of: its querysets are narrowed to the request's tenant, and its
create/update/destroy writes leave a change-log row (see `TenantScopedMixin.__init_subclass__`)."""

import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import models, transaction
from django.utils import timezone
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.routers import SimpleRouter

from savdo.accounts.authentication import SavdoJWTAuthentication
from savdo.api import principals
from savdo.api.throttling import ScopedRateThrottle
from savdo.audit import context as audit_context
from savdo.audit.models import ChangeAction
from savdo.audit.services import change_record, snapshot
from savdo.core import rls
from savdo.core.models import tenant_ids_filtered
from savdo.tenancy.permissions import HasTenantRole
from savdo.tenancy.resolution import TENANT_HEADER, resolve_membership


def tenant_scoped(queryset, tenant, tenant_field: str = "tenant"):
    """`queryset` narrowed to `tenant`, unless it already is (no duplicate predicate)."""
    if not isinstance(queryset, models.QuerySet):
        return queryset
    if tenant_field == "tenant" and tenant_ids_filtered(queryset) == [tenant.pk]:
        return queryset
    return queryset.filter(**{tenant_field: tenant})


def _scoping(get_queryset):
    """`get_queryset` whose answer is always narrowed to the request's tenant."""

    @functools.wraps(get_queryset)
    def scoped(self, *args, **kwargs):
        queryset = get_queryset(self, *args, **kwargs)
        tenant = getattr(self.request, "tenant", None) if getattr(self, "request", None) is not None else None
        if tenant is None:  # schema generation; unauthenticated requests never get this far
            return queryset.none() if isinstance(queryset, models.QuerySet) else queryset
        return tenant_scoped(queryset, tenant, self.tenant_field)

    scoped.savdo_wrapped = True
    return scoped


def _logged_by_its_service(view, action: str) -> bool:
    """Whether the view's declared service for this write logs it itself (`@logs_itself`)."""
    service = getattr(type(view), _SERVICE_OF[action], None)
    return getattr(service, "logs_itself", False)


def _recording(perform, action: str):
    """`perform_create/update/destroy` inside one transaction with its change-log row. A recording
    method called from another (a subclass's `super().perform_create()`) logs once, the outer one;
    a write whose declared service logs itself (`savdo.audit.services.logs_itself`) gets no second row."""

    @functools.wraps(perform)
    def recorded(self, target):
        if getattr(self, "_savdo_recording", False):
            return perform(self, target)
        self._savdo_recording = True
        try:
            with transaction.atomic():
                if _logged_by_its_service(self, action):
                    return perform(self, target)
                if action == ChangeAction.CREATE:
                    result = perform(self, target)
                    instance = target.instance
                    if isinstance(instance, models.Model) and hasattr(instance, "tenant_id"):
                        change_record(instance=instance, action=action, after=snapshot(instance))
                    return result
                instance = target.instance if action == ChangeAction.UPDATE else target
                loggable = isinstance(instance, models.Model) and hasattr(instance, "tenant_id")
                before = snapshot(instance) if loggable else None
                pk = getattr(instance, "pk", None)
                result = perform(self, target)
                if action == ChangeAction.UPDATE:
                    instance = target.instance
                    if loggable and isinstance(instance, models.Model):
                        change_record(instance=instance, action=action, before=before, after=snapshot(instance))
                elif loggable:
                    instance.pk = pk  # Django clears it on delete; the log keeps which row it was
                    change_record(instance=instance, action=action, before=before)
                return result
        finally:
            self._savdo_recording = False

    recorded.savdo_wrapped = True
    return recorded


_RECORDED = {
    "perform_create": ChangeAction.CREATE,
    "perform_update": ChangeAction.UPDATE,
    "perform_destroy": ChangeAction.DELETE,
}
# The service each write calls, as a resource declares it (`savdo.api.kernel`).
_SERVICE_OF = {
    ChangeAction.CREATE: "create_service",
    ChangeAction.UPDATE: "update_service",
    ChangeAction.DELETE: "destroy_service",
}


class TenantScopedMixin:
    """Resolves `request.membership` and `request.tenant` right after authentication.

    Every `get_queryset` a view defines is narrowed to the request's tenant after it returns, so a
    view that forgets its tenant still cannot read another tenant's rows (another tenant's object
    is a 404); and every `perform_create/update/destroy` it defines runs in one transaction with a
    change-log row (savdo/audit). Datetimes render in the tenant's time zone for the rest of the
    request.
    """

    permission_classes = [IsAuthenticated, HasTenantRole]
    tenant_model_queryset = None
    # The path from the view's model to its tenant, for models that are not tenant-owned themselves.
    tenant_field = "tenant"

    def __init_subclass__(cls, **kwargs):
        # The methods a view ends up with, wherever in its bases they come from (a mixin listed
        # before this one, the view itself, DRF's own perform_create), are wrapped once.
        super().__init_subclass__(**kwargs)
        resolved = getattr(cls, "get_queryset", None)
        if (
            resolved is not None
            and resolved is not TenantScopedMixin.get_queryset
            and not getattr(resolved, "savdo_wrapped", False)
        ):
            cls.get_queryset = _scoping(resolved)
        for name, action in _RECORDED.items():
            method = getattr(cls, name, None)
            if method is not None and not getattr(method, "savdo_wrapped", False):
                setattr(cls, name, _recording(method, action))

    def check_permissions(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(request, "membership", None) is None:
            membership = self._membership(request, user)
            request.membership = membership
            request.tenant = membership.tenant
            request._request.tenant = membership.tenant
            # PostgreSQL: from here on the connection sees only this tenant's rows (savdo/core/rls.py).
            rls.enter(membership.tenant.pk)
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

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # who the change log names for this request's writes (savdo/audit)
            self._actor_token = audit_context.set_actor(user.pk)

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            # Also when an exception escapes DRF (a lost connection, a bug): a thread serves one
            # request after another, and the next one must not act as this one's user.
            token = getattr(self, "_actor_token", None)
            if token is not None:
                audit_context.reset_actor(token)
                self._actor_token = None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        timezone.deactivate()
        return response

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no tenant
            return queryset.none()
        return tenant_scoped(queryset, self.request.tenant, self.tenant_field)

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
    # Wrong credentials (or a bad refresh token) are a 401: the OpenAPI schema documents it.
    checks_credentials = True

    def get_authenticate_header(self, request) -> str:
        return SavdoJWTAuthentication().authenticate_header(request)


class OptionalSlashRouter(SimpleRouter):
    """A router whose routes answer with and without the trailing slash (no redirects).

    `SimpleRouter(trailing_slash="/?")` does not do it: DRF turns any truthy value into "/".
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trailing_slash = "/?"
