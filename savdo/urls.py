import json

from django.contrib import admin
from django.http import HttpResponse
from django.template import engines
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from savdo.api.errors import error_response_for_path
from savdo.api.health import healthz, readyz


@csrf_exempt  # API clients send tokens, not CSRF cookies: a POST to no route is a 404, not the CSRF page
def api_not_found(request, exception=None):
    return error_response_for_path(request.path, 404, "NOT_FOUND", _("Not found."))


def server_error(request):
    return error_response_for_path(request.path, 500, "INTERNAL_ERROR", _("Internal server error."))


# --- the API docs pages ---------------------------------------------------------------------------
# Everything they load comes from this server (drf-spectacular-sidecar's bundles, served by
# WhiteNoise): drf-spectacular's own ReDoc page asks fonts.googleapis.com for web fonts, and Swagger
# UI shows a badge fetched from validator.swagger.io; these pages use the system's fonts and no badge.
# tests/api/test_docs_pages.py checks that no page or stylesheet names another host.

SYSTEM_FONTS = '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
SYSTEM_MONOSPACE = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace'
REDOC_THEME = {
    "typography": {
        "fontFamily": SYSTEM_FONTS,
        "headings": {"fontFamily": SYSTEM_FONTS},
        "code": {"fontFamily": SYSTEM_MONOSPACE},
    }
}
REDOC_PAGE = """<!DOCTYPE html>
<html>
  <head>
    <title>{{ title }}</title>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <style>body { margin: 0; padding: 0; }</style>
  </head>
  <body>
    <div id="redoc-container"></div>
    <script src="{{ redoc_standalone }}"></script>
    <script>
      Redoc.init("{{ schema_url|escapejs }}", {{ settings|safe }}, document.getElementById("redoc-container"));
    </script>
  </body>
</html>
"""


class LocalRedocView(SpectacularRedocView):
    """ReDoc from the sidecar bundle, in the system's fonts (no web fonts from another host)."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        configured = spectacular_settings.REDOC_UI_SETTINGS
        options = {"theme": REDOC_THEME, **(configured if isinstance(configured, dict) else {})}
        context = {
            "title": self.title,
            "redoc_standalone": self._redoc_standalone(),
            "schema_url": self._get_schema_url(request),
            "settings": json.dumps(options).replace("</", "<\\/"),
        }
        page = engines["django"].from_string(REDOC_PAGE).render(context)
        return HttpResponse(page, content_type="text/html; charset=utf-8")


class LocalSwaggerView(SpectacularSwaggerView):
    """Swagger UI from the sidecar bundle, without the online validator's badge (another host)."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        configured = spectacular_settings.SWAGGER_UI_SETTINGS
        if isinstance(configured, dict):
            response.data["settings"] = json.dumps({**configured, "validatorUrl": None}, indent=2)
        return response


urlpatterns = [
    re_path(r"^healthz/?$", healthz, name="healthz"),
    re_path(r"^readyz/?$", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^swagger/?$", LocalSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^redoc/?$", LocalRedocView.as_view(url_name="schema"), name="redoc"),
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
