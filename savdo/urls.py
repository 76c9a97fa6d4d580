from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from savdo.api.errors import error_response_for_path
from savdo.api.health import healthz, readyz


@csrf_exempt  # API clients send tokens, not CSRF cookies: a POST to no route is a 404, not the CSRF page
def api_not_found(request, exception=None):
    return error_response_for_path(request.path, 404, "NOT_FOUND", _("Not found."))


def server_error(request):
    return error_response_for_path(request.path, 500, "INTERNAL_ERROR", _("Internal server error."))


urlpatterns = [
    re_path(r"^healthz/?$", healthz, name="healthz"),
    re_path(r"^readyz/?$", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^swagger/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^redoc/?$", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("savdo.api.retail.urls")),
    path("", include("savdo.api.changelog")),
    path("", include("savdo.api.clients.urls")),
    path("", include("savdo.api.crm_v1.urls")),
    path("", include("savdo.api.telecom.urls")),
    # Unknown API routes answer JSON in their surface's shape, in DEBUG too.
    re_path(r"^api/", api_not_found),
]

handler404 = api_not_found
handler500 = server_error
