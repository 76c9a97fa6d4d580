"""Factories of the tasks domain. Rows made here skip the services (no history rows): tests of the
workflow create tasks with `savdo.tasks.services.task_create`."""

import factory

from savdo.tasks.choices import TaskCategory, TaskPriority, TaskStatus
from savdo.tasks.models import Task, TaskComment, TaskTemplate
from tests.factories import TenantFactory


class TaskTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskTemplate

    tenant = factory.SubFactory(TenantFactory)
    title = factory.Sequence(lambda n: f"Template {n}")
    description = "Weekly routine"
    priority = TaskPriority.HIGH
    category = TaskCategory.INVENTORY
    default_due_hours = 24


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    tenant = factory.SubFactory(TenantFactory)
    title = factory.Sequence(lambda n: f"Task {n}")
    description = "Do the thing"
    priority = TaskPriority.MEDIUM
    category = TaskCategory.OTHER
    status = TaskStatus.PENDING


class TaskCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskComment

    task = factory.SubFactory(TaskFactory)
    tenant = factory.SelfAttribute("task.tenant")
    text = factory.Sequence(lambda n: f"Comment {n}")
