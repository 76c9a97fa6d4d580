"""Routes of the retail surface (documents 000 and 001)."""

from django.urls import include, path

urlpatterns = [
    path("", include("savdo.api.retail.accounts.urls")),
    path("", include("savdo.api.retail.customers.urls")),
    path("", include("savdo.api.retail.pos.urls")),
    path("", include("savdo.api.retail.analytics.urls")),
    path("", include("savdo.api.retail.tasks.urls")),
]
