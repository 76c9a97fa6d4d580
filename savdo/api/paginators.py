"""A Django paginator that keeps deep pages cheap: the "deferred join".

`OFFSET n` makes the database walk n whole rows. For pages past `DEFERRED_JOIN_FROM` rows, the
page's primary keys are read first (`SELECT id ... ORDER BY ... OFFSET n LIMIT k`, which an index
on the ordering columns answers without touching the table), then only those k rows are fetched.
One query more on deep pages only; the count of queries never depends on the page size.

Given the request's tenant, the total comes from `savdo.core.counts.cached_count` (exact, cached
until the tenant's rows in the model's count scope change).
"""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

from savdo.core.counts import cached_count

DEFERRED_JOIN_FROM = 200


class DeferredJoinPaginator(Paginator):
    def __init__(self, object_list, per_page, *args, tenant_id=None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.tenant_id = tenant_id

    @cached_property
    def count(self):
        if isinstance(self.object_list, QuerySet):
            return cached_count(self.object_list, tenant_id=self.tenant_id)
        return super().count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if isinstance(rows, QuerySet) and bottom >= DEFERRED_JOIN_FROM and rows.query.order_by:
            ids = list(rows.values_list("pk", flat=True)[bottom:top])
            by_id = {obj.pk: obj for obj in rows.order_by().filter(pk__in=ids)}
            return Page([by_id[pk] for pk in ids if pk in by_id], number, self)
        return self._get_page(rows[bottom:top], number, self)
