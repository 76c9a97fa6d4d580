"""Row locks of the tasks domain: a task's status changes one writer at a time."""

from savdo.tasks.models import Task


def task_for_update(*, task: Task) -> Task:
    """The task's row, locked until the end of the transaction, read fresh from the database."""
    return Task.objects.select_for_update().get(pk=task.pk, tenant_id=task.tenant_id)
