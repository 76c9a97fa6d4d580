"""Routes of documents 001 §2-§3 (products, stock, shifts, sales) and 000 §6-§7 (a customer's purchase
history and stats). Every route answers with and without its trailing slash."""

from django.urls import re_path

from savdo.api.retail.conventions import retail_router
from savdo.api.retail.pos import views

router = retail_router()
router.register(r"api/products/products", views.ProductViewSet, basename="retail-product")
router.register(r"api/products/categories", views.CategoryViewSet, basename="retail-category")
router.register(r"api/products/batches", views.BatchViewSet, basename="retail-batch")
router.register(r"api/products/stock-movements", views.StockMovementViewSet, basename="retail-stock-movement")
router.register(r"api/products/stock", views.StockViewSet, basename="retail-stock")
router.register(r"api/sales/sessions", views.SessionViewSet, basename="retail-session")
router.register(r"api/sales/sales", views.SaleViewSet, basename="retail-sale")

urlpatterns = [
    re_path(
        r"^api/customers/customers/(?P<pk>[0-9]{1,18})/purchase-history/?$",
        views.CustomerPurchaseHistoryView.as_view(),
        name="retail-customer-purchase-history",
    ),
    re_path(
        r"^api/customers/customers/(?P<pk>[0-9]{1,18})/stats/?$",
        views.CustomerStatsView.as_view(),
        name="retail-customer-stats",
    ),
    *router.urls,
]
