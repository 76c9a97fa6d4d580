"""A test-only URLconf: the real routes plus tiny views that raise each error on each surface.

Used with `@pytest.mark.urls("tests.api.urls")`. The test views live under each surface's path
prefix, so that the errors raised outside views (404, 413, 500) pick the same shape.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import include, path, re_path
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from savdo.api.base import TenantScopedMixin
from savdo.api.clients.conventions import ClientsErrorsMixin
from savdo.api.crm_v1.conventions import CrmErrorsMixin
from savdo.api.errors import Conflict
from savdo.api.retail.conventions import RetailErrorsMixin
from savdo.api.telecom.conventions import TelecomErrorsMixin
from savdo.api.throttling import ScopedRateThrottle
from savdo.tenancy.roles import MANAGERS

# surface -> (path prefix, error mixin)
SURFACES = {
    "retail": ("api/users/_test", RetailErrorsMixin),
    "clients": ("api/clients/_test", ClientsErrorsMixin),
    "crm_v1": ("api/v1/_test", CrmErrorsMixin),
    "telecom": ("api/sims/_test", TelecomErrorsMixin),
}

RAISES = {
    "conflict": lambda: Conflict(),
    "validation": lambda: exceptions.ValidationError({"name": ["Name is wrong."]}),
    "django-validation": lambda: DjangoValidationError({"phone": ["Phone is wrong."]}),
    "not-found": lambda: exceptions.NotFound(),
    "forbidden": lambda: exceptions.PermissionDenied(),
    "crash": lambda: RuntimeError("an unexpected failure"),
}


def _views(mixin):
    class Raise(mixin, APIView):
        authentication_classes: list = []
        permission_classes = [AllowAny]

        def get(self, request, kind):
            raise RAISES[kind]()

    class Echo(mixin, APIView):
        """GET only (POST is 405); parses a JSON body on PUT."""

        authentication_classes: list = []
        permission_classes = [AllowAny]

        def get(self, request):
            return Response({"text": "Пользователь"})

        def put(self, request):
            return Response({"received": request.data})

    class Private(mixin, APIView):
        permission_classes = [IsAuthenticated]

        def get(self, request):
            return Response({"user": request.user.username})

    class Throttled(mixin, APIView):
        authentication_classes: list = []
        permission_classes = [AllowAny]
        throttle_classes = [ScopedRateThrottle]
        throttle_scope = "test"

        def get(self, request):
            return Response({"ok": True})

    class Tenant(mixin, TenantScopedMixin, APIView):
        """Tenant-scoped: everyone in the store may read, only managers may write."""

        action_roles = {"post": MANAGERS}

        def get(self, request):
            zone = timezone.get_current_timezone_name()
            return Response({"tenant": request.tenant.key, "role": request.membership.role, "time_zone": zone})

        def post(self, request):
            return Response({"tenant": request.tenant.key, "role": request.membership.role})

    return Raise, Echo, Private, Throttled, Tenant


urlpatterns = []
for _name, (_prefix, _mixin) in SURFACES.items():
    _raise, _echo, _private, _throttled, _tenant = _views(_mixin)
    urlpatterns += [
        re_path(rf"^{_prefix}/raise/(?P<kind>[\w-]+)/?$", _raise.as_view()),
        re_path(rf"^{_prefix}/echo/?$", _echo.as_view()),
        re_path(rf"^{_prefix}/private/?$", _private.as_view()),
        re_path(rf"^{_prefix}/throttled/?$", _throttled.as_view()),
        re_path(rf"^{_prefix}/tenant/?$", _tenant.as_view()),
    ]
urlpatterns.append(path("", include("savdo.urls")))

handler404 = "savdo.urls.api_not_found"
handler500 = "savdo.urls.server_error"
