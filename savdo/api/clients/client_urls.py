"""Document 002 clients and tags routes: `/api/clients/tags[/<id>]` (registered first), then
`/api/clients`, `/api/clients/<id>`, `/api/clients/stats`, `/api/clients/import`,
`/api/clients/export`; each with and without the trailing slash."""

from savdo.api.clients.conventions import clients_router
from savdo.api.clients.views import ClientTagViewSet, ClientViewSet

router = clients_router()
router.register("api/clients/tags", ClientTagViewSet, basename="client-tags")
router.register("api/clients", ClientViewSet, basename="clients")

urlpatterns = router.urls
