"""Document 000's customer routes. `{id}/purchase-history/` and `{id}/stats/` are routed by the sales
part of the retail surface: the detail routes here match digits-only ids followed by the end of the
path, so they never take those."""

from savdo.api.retail.conventions import retail_router
from savdo.api.retail.customers import views

router = retail_router()
router.register(r"api/customers/customers", views.CustomerViewSet, basename="retail-customer")
router.register(r"api/customers/groups", views.CustomerGroupViewSet, basename="retail-customer-group")

urlpatterns = router.urls
