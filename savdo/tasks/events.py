"""History rows of tasks, written explicitly by the services (never by signals)."""

from savdo.tasks.models import Task, TaskHistory


def task_history_record(*, task: Task, actor, action: str, from_status: str, comment: str = "") -> TaskHistory:
    """Record that `actor` moved `task` from `from_status` to its current status."""
    return TaskHistory.objects.create(
        tenant_id=task.tenant_id,
        task=task,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=task.status,
        comment=comment,
    )
