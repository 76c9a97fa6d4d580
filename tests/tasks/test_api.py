from datetime import timedelta

import pytest
from django.utils import timezone

from savdo.tasks import services
from savdo.tasks.models import Task, TaskComment, TaskHistory, TaskTemplate
from savdo.tenancy.models import Membership, Role
from tests.conftest import Member
from tests.factories import MembershipFactory
from tests.generic import EndpointChecks
from tests.tasks.factories import TaskCommentFactory, TaskFactory, TaskTemplateFactory

TASKS = "/api/tasks/tasks/"
TASK = "/api/tasks/tasks/{pk}/"
ACTIONS = ["start", "submit-for-review", "approve", "reject", "complete", "cancel"]


def _task_for_checks(tenant):
    """An overdue task with an assignee and a creator (rendered names: a per-row query if not joined)."""
    worker = MembershipFactory(tenant=tenant, role=Role.AGENT).user
    boss = MembershipFactory(tenant=tenant, role=Role.MANAGER).user
    return TaskFactory(tenant=tenant, assigned_to=worker, created_by=boss, due_date=timezone.now() - timedelta(hours=1))


class TestTaskEndpoints(EndpointChecks):
    list_path = TASKS
    detail_path = TASK
    model = Task
    create_payload = staticmethod(lambda tenant: {"title": "Проверить остатки", "priority": "high"})
    forbidden = [
        ("post", TASKS, Role.CASHIER),
        ("post", TASKS, Role.AGENT),
        ("patch", TASK, Role.CASHIER),
        ("put", TASK, Role.CASHIER),
        ("delete", TASK, Role.CASHIER),
        ("post", TASK + "approve/", Role.CASHIER),
        ("post", TASK + "reject/", Role.CASHIER),
        ("post", TASK + "cancel/", Role.CASHIER),
        ("post", TASK + "cancel/", Role.AGENT),
    ]

    def make_object(self, tenant):
        return _task_for_checks(tenant)


class TestTaskListActions(EndpointChecks):
    """The list-like actions: same tenant rules, same constant query count."""

    list_path = TASKS + "overdue/"
    model = Task

    def make_object(self, tenant):
        return _task_for_checks(tenant)


class TestTaskMine(EndpointChecks):
    list_path = TASKS + "my-tasks/"
    actor_role = Role.CASHIER

    def make_object(self, tenant):
        # Assigned to the tenant's newest cashier so far: the member the checks sign in as.
        newest = Membership.objects.filter(tenant=tenant, role=Role.CASHIER).order_by("-id").first()
        task = _task_for_checks(tenant)
        if newest is not None:
            task.assigned_to = newest.user
            task.save()
        return task

    def test_list_excludes_other_tenant(self, tenant, other_tenant):
        mine = Member(tenant, Role.CASHIER)
        own = TaskFactory(tenant=tenant, assigned_to=mine.user)
        foreign = TaskFactory(tenant=other_tenant, assigned_to=mine.user)
        ids = [row["id"] for row in mine.client.get(self.list_path).json()["results"]]
        assert ids == [own.pk]
        assert foreign.pk not in ids


class TestTaskToday(EndpointChecks):
    list_path = TASKS + "today/"

    def make_object(self, tenant):
        task = _task_for_checks(tenant)
        task.due_date = timezone.now()
        task.save()
        return task


class TestTaskComments(EndpointChecks):
    list_path = "/api/tasks/comments/"
    detail_path = "/api/tasks/comments/{pk}/"
    model = TaskComment
    create_payload = staticmethod(lambda tenant: {"task": TaskFactory(tenant=tenant).pk, "comment": "Работаю"})

    def make_object(self, tenant):
        return TaskCommentFactory(task=TaskFactory(tenant=tenant), author=MembershipFactory(tenant=tenant).user)


class TestTaskTemplates(EndpointChecks):
    list_path = "/api/tasks/templates/"
    detail_path = "/api/tasks/templates/{pk}/"
    model = TaskTemplate
    create_payload = staticmethod(lambda tenant: {"title": "Уборка зала", "category": "cleaning"})
    forbidden = [
        ("get", "/api/tasks/templates/", Role.CASHIER),
        ("post", "/api/tasks/templates/", Role.CASHIER),
        ("patch", "/api/tasks/templates/{pk}/", Role.CASHIER),
        ("delete", "/api/tasks/templates/{pk}/", Role.AGENT),
        ("post", "/api/tasks/templates/{pk}/create-task/", Role.CASHIER),
    ]

    def make_object(self, tenant):
        return TaskTemplateFactory(tenant=tenant)


class TestAssignees(EndpointChecks):
    list_path = "/api/tasks/assignees/"
    forbidden = [("get", "/api/tasks/assignees/", Role.CASHIER)]

    def make_object(self, tenant):
        return Member(tenant, Role.CASHIER).user


# --- actions: 401 / 404 across tenants, 403 by role -------------------------------------------


@pytest.mark.parametrize("name", ACTIONS)
def test_actions_anonymous_401_and_foreign_404(name, anon, owner, other_tenant):
    foreign = TaskFactory(tenant=other_tenant, status="on_review")
    path = f"{TASKS}{foreign.pk}/{name}/"
    assert anon.post(path, {"comment": "x"}).status_code == 401
    assert owner.client.post(path, {"comment": "x"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "on_review"
    assert not TaskHistory.objects.exists()


def test_template_create_task_foreign_template_is_404(owner, other_tenant):
    template = TaskTemplateFactory(tenant=other_tenant)
    response = owner.client.post(f"/api/tasks/templates/{template.pk}/create-task/", {})
    assert response.status_code == 404
    assert not Task.objects.exists()


# --- who sees and does what ---------------------------------------------------------------


@pytest.fixture
def staff(tenant):
    return {
        "owner": Member(tenant, Role.OWNER),
        "manager": Member(tenant, Role.MANAGER),
        "cashier": Member(tenant, Role.CASHIER),
        "cashier2": Member(tenant, Role.CASHIER),
    }


def _create(staff, **payload) -> dict:
    response = staff["manager"].client.post(TASKS, {"title": "Задача", **payload}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_cashier_sees_only_own_tasks_and_gets_404_for_others(staff):
    mine = _create(staff, assigned_to=staff["cashier"].user.pk)
    theirs = _create(staff, assigned_to=staff["cashier2"].user.pk)
    client = staff["cashier"].client
    assert [row["id"] for row in client.get(TASKS).json()["results"]] == [mine["id"]]
    assert client.get(f"{TASKS}{theirs['id']}/").status_code == 404
    assert client.post(f"{TASKS}{theirs['id']}/start/").status_code == 404
    assert client.post("/api/tasks/comments/", {"task": theirs["id"], "comment": "x"}).json() == {
        "task": ["Задача не найдена."]
    }
    assert client.get(f"/api/tasks/comments/?task={theirs['id']}").json()["results"] == []
    assert client.get(TASKS + "stats/").json()["total"] == 1
    assert staff["manager"].client.get(TASKS + "stats/").json()["total"] == 2
    assert Task.objects.get(pk=theirs["id"]).status == "pending"


def test_manager_acts_on_any_task(staff):
    task = _create(staff, assigned_to=staff["cashier"].user.pk)
    client = staff["manager"].client
    for name in ("start", "submit-for-review"):
        assert client.post(f"{TASKS}{task['id']}/{name}/").status_code == 200
    assert client.post(f"{TASKS}{task['id']}/approve/").json()["data"]["status"] == "completed"


def test_filters_search_and_ordering(staff):
    cashier_id = staff["cashier"].user.pk
    a = _create(staff, title="Пересчёт склада", priority="low", category="inventory", assigned_to=cashier_id)
    b = _create(staff, title="Уборка", description="Протереть витрины склада", priority="urgent", category="cleaning")
    c = _create(staff, title="Звонок клиенту", priority="high", category="customer_service")
    staff["manager"].client.post(f"{TASKS}{c['id']}/start/")
    client = staff["manager"].client

    def ids(query: str) -> list[int]:
        response = client.get(f"{TASKS}?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("status=in_progress") == [c["id"]]
    assert ids("priority=urgent") == [b["id"]]
    assert ids(f"assigned_to={cashier_id}") == [a["id"]]
    assert ids("category=cleaning") == [b["id"]]
    assert set(ids("search=склад")) == {a["id"], b["id"]}
    assert ids("ordering=priority") == [a["id"], c["id"], b["id"]]
    assert ids("ordering=-priority") == [b["id"], c["id"], a["id"]]
    assert ids("ordering=title") == [c["id"], a["id"], b["id"]]
    assert ids("") == [c["id"], b["id"], a["id"]]  # newest first
    assert client.get(f"{TASKS}stats/?category=cleaning").json()["total"] == 1
    for bad in ("status=done", "priority=extreme", "assigned_to=abc", "ordering=password"):
        assert client.get(f"{TASKS}?{bad}").status_code == 400, bad


def test_create_refuses_foreign_assignee_and_status(staff, other_owner):
    client = staff["manager"].client
    response = client.post(TASKS, {"title": "x", "assigned_to": other_owner.user.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"assigned_to": ["Этот пользователь не является активным сотрудником магазина."]}
    response = client.post(TASKS, {"title": "x", "status": "completed"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()
    for payload in ({"title": ""}, {"title": "x", "priority": "extreme"}, {"title": "x", "due_date": "tomorrow"}):
        assert client.post(TASKS, payload, format="json").status_code == 400, payload
    # Before 1970 the store's zone could have had local mean time (+04:37:11), which an answer in
    # RFC 3339 cannot carry (found by tools/fuzz_api.py); year 1 overflowed.
    for due in ("1910-01-01T00:00:00Z", "0001-01-01T00:00:00Z"):
        response = client.post(TASKS, {"title": "x", "due_date": due}, format="json")
        assert list(response.json()) == ["due_date"], response.content
    assert not Task.objects.exists()


def test_update_and_delete(staff):
    task = _create(staff)
    client = staff["manager"].client
    response = client.patch(
        f"{TASKS}{task['id']}/", {"priority": "urgent", "assigned_to": staff["cashier"].user.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["priority"], response.json()["assigned_to"]) == ("urgent", staff["cashier"].user.pk)
    assert response.json()["title"] == "Задача"
    response = client.patch(f"{TASKS}{task['id']}/", {"status": "completed"}, format="json")
    assert response.status_code == 400
    response = client.put(f"{TASKS}{task['id']}/", {"title": "Полностью"}, format="json")
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["priority"]) == ("Полностью", "medium")
    assert client.delete(f"{TASKS}{task['id']}/").status_code == 204
    assert not Task.objects.exists() and not TaskHistory.objects.exists()


def test_writes_are_in_the_change_log(staff):
    """Create, edit, comment, create from a template and delete: a row each, naming who, which
    object and its fields before and after (an edit that changes nothing: none)."""
    manager = staff["manager"]
    client = manager.client
    task = _create(staff, priority="high")
    client.patch(f"{TASKS}{task['id']}/", {"priority": "urgent"}, format="json")
    client.patch(f"{TASKS}{task['id']}/", {"priority": "urgent"}, format="json")
    comment = client.post("/api/tasks/comments/", {"task": task["id"], "comment": "Работаю"}, format="json").json()
    template = TaskTemplateFactory(tenant=manager.tenant)
    made = client.post(f"/api/tasks/templates/{template.pk}/create-task/", {}, format="json").json()["data"]
    assert client.delete(f"{TASKS}{task['id']}/").status_code == 204

    rows = staff["owner"].client.get("/api/changelog/?page_size=100").json()["results"][::-1]
    assert [(row["action"], row["object_type"], row["object_id"], row["user"]) for row in rows] == [
        ("create", "tasks.task", task["id"], manager.user.pk),
        ("update", "tasks.task", task["id"], manager.user.pk),
        ("create", "tasks.taskcomment", comment["id"], manager.user.pk),
        ("create_task", "tasks.tasktemplate", template.pk, manager.user.pk),
        ("delete", "tasks.task", task["id"], manager.user.pk),
    ]
    created, updated, commented, from_template, deleted = (row["changes"] for row in rows)
    assert (created["title"], created["priority"], created["status"], created["created_by"]) == (
        [None, "Задача"],
        [None, "high"],
        [None, "pending"],
        [None, manager.user.pk],
    )
    assert updated == {"priority": ["high", "urgent"]}
    assert (commented["task"], commented["text"], commented["author"]) == (
        [None, task["id"]],
        [None, "Работаю"],
        [None, manager.user.pk],
    )
    assert from_template == {"task": [None, made["id"]]}
    assert (deleted["title"], deleted["priority"]) == (["Задача", None], ["urgent", None])


def test_a_refused_task_write_leaves_no_log(staff):
    assert staff["manager"].client.post(TASKS, {"title": "   "}, format="json").status_code == 400
    assert staff["cashier"].client.post("/api/tasks/comments/", {"task": 0, "comment": "x"}).status_code == 400
    assert staff["owner"].client.get("/api/changelog/").json()["count"] == 0


def test_retrieve_shows_history_and_list_runs_constant_queries(staff):
    task = _create(staff, assigned_to=staff["cashier"].user.pk)
    services.task_start(task=Task.objects.get(pk=task["id"]), actor=staff["cashier"].membership, comment="иду")
    body = staff["cashier"].client.get(f"{TASKS}{task['id']}/").json()
    assert [(h["action"], h["actor"], h["comment"]) for h in body["history"]] == [
        ("create", staff["manager"].user.pk, ""),
        ("start", staff["cashier"].user.pk, "иду"),
    ]


def test_wrong_transition_is_400_naming_status_in_each_language(staff):
    task = _create(staff)
    path = f"{TASKS}{task['id']}/approve/"
    client = staff["owner"].client
    response = client.post(path)
    assert response.status_code == 400
    assert response.json() == {"status": "error", "message": "Нельзя одобрить задачу в статусе «Ожидает» (pending)."}
    english = client.post(path, HTTP_ACCEPT_LANGUAGE="en").json()["message"]
    assert english == 'Cannot approve a task in status "Pending" (pending).'
    uzbek = client.post(path, HTTP_ACCEPT_LANGUAGE="uz").json()["message"]
    assert uzbek == "«Kutilmoqda» (pending) holatidagi vazifani tasdiqlash mumkin emas."
    assert TaskHistory.objects.filter(task_id=task["id"]).count() == 1


def test_reject_without_comment_is_400(staff):
    task = _create(staff)
    client = staff["manager"].client
    client.post(f"{TASKS}{task['id']}/start/")
    client.post(f"{TASKS}{task['id']}/submit-for-review/")
    response = client.post(f"{TASKS}{task['id']}/reject/", {})
    assert response.status_code == 400
    assert "comment" in response.json()
    assert Task.objects.get(pk=task["id"]).status == "on_review"
    assert not TaskComment.objects.exists()


def test_assignees_lists_active_members(staff, tenant):
    staff["cashier2"].membership.is_active = False
    staff["cashier2"].membership.save()
    rows = staff["manager"].client.get("/api/tasks/assignees/").json()["results"]
    assert {row["id"] for row in rows} == {staff[k].user.pk for k in ("owner", "manager", "cashier")}
    assert {row["role"] for row in rows} == {"owner", "manager", "cashier"}
