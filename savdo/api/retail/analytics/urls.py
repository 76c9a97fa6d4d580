"""Routes of document 001 §4 (`/api/analytics/`). Every route answers with and without its trailing slash."""

from django.urls import re_path

from savdo.api.retail.analytics import views
from savdo.api.retail.conventions import retail_router

router = retail_router()
router.register(r"api/analytics/daily-sales", views.DailySalesViewSet, basename="retail-analytics-daily-sales")
router.register(
    r"api/analytics/product-performance", views.ProductPerformanceViewSet, basename="retail-analytics-products"
)
router.register(
    r"api/analytics/customer-analytics", views.CustomerAnalyticsViewSet, basename="retail-analytics-customers"
)
router.register(r"api/analytics/inventory-snapshots", views.InventorySnapshotViewSet, basename="retail-analytics-stock")

urlpatterns: list = [
    # A stored snapshot is one object (`{date, count, products}`), so its GET is not a router "list".
    re_path(
        r"^api/analytics/inventory-snapshots/?$",
        views.InventorySnapshotViewSet.as_view({"get": "snapshot"}),
        name="retail-analytics-stock-snapshot",
    ),
    *router.urls,
]
