"""Deep pages read their rows by primary key after an index-only offset: same rows, same order."""

from savdo.api.paginators import DEFERRED_JOIN_FROM, DeferredJoinPaginator
from savdo.tenancy.models import Tenant


def test_deep_pages_equal_plain_offset_pages():
    for n in range(DEFERRED_JOIN_FROM + 45):
        Tenant.objects.create(name=f"T{n % 7}")
    queryset = Tenant.objects.order_by("name", "-id")
    paginator = DeferredJoinPaginator(queryset, 20)
    for number in paginator.page_range:
        page = paginator.page(number)
        assert [t.pk for t in page.object_list] == [t.pk for t in queryset[(number - 1) * 20 : number * 20]]
    assert len(paginator.page(paginator.num_pages).object_list) == (DEFERRED_JOIN_FROM + 45) % 20
