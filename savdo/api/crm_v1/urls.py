"""Routes of document 003 (`/api/v1/...`), each with and without the trailing slash."""

from django.urls import re_path

from savdo.api.crm_v1 import views
from savdo.api.crm_v1.conventions import crm_router

router = crm_router()
router.register("api/v1/customers", views.CustomerViewSet, basename="crm-customers")
router.register("api/v1/deals", views.DealViewSet, basename="crm-deals")
router.register("api/v1/activities", views.ActivityViewSet, basename="crm-activities")

urlpatterns = [
    re_path(r"^api/v1/auth/login/?$", views.LoginView.as_view(), name="crm-login"),
    re_path(r"^api/v1/auth/logout/?$", views.LogoutView.as_view(), name="crm-logout"),
    re_path(r"^api/v1/auth/refresh/?$", views.RefreshView.as_view(), name="crm-refresh"),
    re_path(
        r"^api/v1/analytics/dashboard/?$",
        views.AnalyticsViewSet.as_view({"get": "dashboard"}),
        name="crm-analytics-dashboard",
    ),
    re_path(
        r"^api/v1/analytics/sales/?$", views.AnalyticsViewSet.as_view({"get": "sales"}), name="crm-analytics-sales"
    ),
    *router.urls,
]
