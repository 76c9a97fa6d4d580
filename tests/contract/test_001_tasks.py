"""Document 001 §5 (Tasks) and its status/priority/category lists: every request it shows, with
the response Savdo gives.

001 shows no task response bodies except `stats/`; a task renders as below (TASK_KEYS), actions
answer 001's command envelope `{"status": "success", "message", "data": task}`, lists DRF's
`{count, next, previous, results}`.
"""

import pytest
from django.utils import timezone

from savdo.tasks.choices import TaskCategory, TaskPriority, TaskStatus
from savdo.tasks.models import Task, TaskComment, TaskHistory
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.tasks.factories import TaskTemplateFactory

TASK_KEYS = {
    "id",
    "title",
    "description",
    "priority",
    "priority_display",
    "category",
    "category_display",
    "status",
    "status_display",
    "assigned_to",
    "assigned_to_name",
    "created_by",
    "created_by_name",
    "template",
    "due_date",
    "is_overdue",
    "started_at",
    "submitted_at",
    "completed_at",
    "cancelled_at",
    "created_at",
    "updated_at",
}
HISTORY_KEYS = {"id", "action", "from_status", "to_status", "actor", "actor_name", "comment", "created_at"}
LIST_KEYS = {"count", "next", "previous", "results"}

# 001 "Создать задачу" body (assigned_to is the id of a member: the cashier's here).
CREATE_BODY = {
    "title": "Проверить остатки товара",
    "description": "Провести инвентаризацию склада",
    "priority": "high",
    "category": "inventory",
    "due_date": "2025-01-20T18:00:00Z",
}


@pytest.fixture
def shop(tenant):
    return {"manager": Member(tenant, Role.MANAGER), "cashier": Member(tenant, Role.CASHIER)}


def _create(shop) -> dict:
    body = {**CREATE_BODY, "assigned_to": shop["cashier"].user.pk}
    response = shop["manager"].client.post("/api/tasks/tasks/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_create_task(shop):
    body = _create(shop)
    assert set(body) == TASK_KEYS | {"history"}
    assert {k: body[k] for k in ("title", "description", "priority", "category", "status")} == {
        "title": "Проверить остатки товара",
        "description": "Провести инвентаризацию склада",
        "priority": "high",
        "category": "inventory",
        "status": "pending",
    }
    assert body["assigned_to"] == shop["cashier"].user.pk
    assert body["created_by"] == shop["manager"].user.pk
    # Rendered in the store's time zone (Asia/Tashkent, UTC+5).
    assert body["due_date"] == "2025-01-20T23:00:00+05:00"
    assert body["is_overdue"] is True
    assert [(h["action"], h["from_status"], h["to_status"]) for h in body["history"]] == [("create", "", "pending")]
    assert set(body["history"][0]) == HISTORY_KEYS
    assert Task.objects.get(pk=body["id"]).due_date.isoformat() == "2025-01-20T18:00:00+00:00"


def test_list_with_documented_query_parameters(shop):
    task = _create(shop)
    cashier_id = shop["cashier"].user.pk
    client = shop["manager"].client
    for query in (
        "",
        "?status=pending",
        "?priority=high",
        f"?assigned_to={cashier_id}",
        "?category=inventory",
        f"?status=pending&priority=high&assigned_to={cashier_id}&category=inventory",
    ):
        response = client.get(f"/api/tasks/tasks/{query}")
        assert response.status_code == 200, query
        body = response.json()
        assert set(body) == LIST_KEYS
        assert body["count"] == 1 and [r["id"] for r in body["results"]] == [task["id"]], query
        assert set(body["results"][0]) == TASK_KEYS
    for query in ("?status=completed", "?priority=low", "?assigned_to=999999", "?category=sales"):
        assert client.get(f"/api/tasks/tasks/{query}").json()["count"] == 0, query


@pytest.mark.parametrize("path", ["my-tasks", "today", "overdue"])
def test_list_actions(shop, path):
    task = _create(shop)
    if path == "today":
        Task.objects.filter(pk=task["id"]).update(due_date=timezone.now())
    response = shop["cashier"].client.get(f"/api/tasks/tasks/{path}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == LIST_KEYS
    assert [r["id"] for r in body["results"]] == [task["id"]]
    assert set(body["results"][0]) == TASK_KEYS


def test_stats_shape_of_the_document(shop):
    _create(shop)
    response = shop["manager"].client.get("/api/tasks/tasks/stats/")
    assert response.status_code == 200
    assert response.json() == {
        "total": 1,
        "by_status": {"pending": 1, "in_progress": 0, "on_review": 0, "completed": 0, "cancelled": 0},
        "by_priority": {"low": 0, "medium": 0, "high": 1, "urgent": 0},
        "overdue": 1,
    }


def _act(client, task_id: int, name: str, body: dict | None = None, expected: int = 200) -> dict:
    response = client.post(f"/api/tasks/tasks/{task_id}/{name}/", body or {}, format="json")
    assert response.status_code == expected, response.content
    return response.json()


def test_start_complete(shop):
    task = _create(shop)
    cashier = shop["cashier"].client
    body = _act(cashier, task["id"], "start")
    assert (body["status"], body["message"], body["data"]["status"]) == ("success", "Задача начата.", "in_progress")
    assert set(body["data"]) == TASK_KEYS | {"history"}
    assert body["data"]["started_at"] is not None
    body = _act(cashier, task["id"], "complete")
    assert (body["message"], body["data"]["status"]) == ("Задача завершена.", "completed")
    assert body["data"]["completed_at"] is not None


def test_submit_for_review_approve(shop):
    task = _create(shop)
    _act(shop["cashier"].client, task["id"], "start")
    body = _act(shop["cashier"].client, task["id"], "submit-for-review")
    assert (body["message"], body["data"]["status"]) == ("Задача отправлена на проверку.", "on_review")
    body = _act(shop["manager"].client, task["id"], "approve")
    assert (body["message"], body["data"]["status"]) == ("Задача одобрена.", "completed")


def test_reject_with_documented_body(shop):
    task = _create(shop)
    _act(shop["cashier"].client, task["id"], "start")
    _act(shop["cashier"].client, task["id"], "submit-for-review")
    body = _act(shop["manager"].client, task["id"], "reject", {"comment": "Не все пункты выполнены"})
    assert (body["message"], body["data"]["status"]) == ("Задача отклонена и возвращена в работу.", "in_progress")
    last = body["data"]["history"][-1]
    assert (last["action"], last["from_status"], last["to_status"], last["comment"]) == (
        "reject",
        "on_review",
        "in_progress",
        "Не все пункты выполнены",
    )
    assert TaskComment.objects.get(task_id=task["id"]).text == "Не все пункты выполнены"


def test_cancel(shop):
    task = _create(shop)
    body = _act(shop["manager"].client, task["id"], "cancel")
    assert (body["message"], body["data"]["status"]) == ("Задача отменена.", "cancelled")
    again = _act(shop["manager"].client, task["id"], "cancel", expected=400)
    assert again == {"status": "error", "message": "Нельзя отменить задачу в статусе «Отменена» (cancelled)."}


def test_add_and_list_comments(shop):
    task = _create(shop)
    response = shop["cashier"].client.post(
        "/api/tasks/comments/", {"task": task["id"], "comment": "Работаю над задачей"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "task", "comment", "author", "author_name", "created_at"}
    assert (body["task"], body["comment"], body["author"]) == (
        task["id"],
        "Работаю над задачей",
        shop["cashier"].user.pk,
    )
    listed = shop["manager"].client.get(f"/api/tasks/comments/?task={task['id']}")
    assert listed.status_code == 200
    assert set(listed.json()) == LIST_KEYS
    assert listed.json()["results"] == [body]


def test_templates_list_and_create_task(shop, tenant):
    template = TaskTemplateFactory(tenant=tenant, title="Инвентаризация", priority="high", category="inventory")
    listed = shop["manager"].client.get("/api/tasks/templates/")
    assert listed.status_code == 200
    assert set(listed.json()) == LIST_KEYS
    row = listed.json()["results"][0]
    assert set(row) == {
        "id",
        "title",
        "description",
        "priority",
        "category",
        "default_due_hours",
        "is_active",
        "created_by",
        "created_at",
        "updated_at",
    }
    response = shop["manager"].client.post(
        f"/api/tasks/templates/{template.pk}/create-task/",
        {"assigned_to": shop["cashier"].user.pk, "due_date": "2025-01-25T18:00:00Z"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["message"]) == ("success", "Задача создана из шаблона.")
    data = body["data"]
    assert (data["title"], data["priority"], data["category"], data["template"], data["status"]) == (
        "Инвентаризация",
        "high",
        "inventory",
        template.pk,
        "pending",
    )
    assert (data["assigned_to"], data["due_date"]) == (shop["cashier"].user.pk, "2025-01-25T23:00:00+05:00")


def test_documented_labels(shop, tenant):
    """001 "Приоритеты/Статусы/Категории задач": the Russian labels are the document's."""
    task = _create(shop)
    body = shop["manager"].client.get(f"/api/tasks/tasks/{task['id']}/").json()
    assert (body["priority_display"], body["category_display"], body["status_display"]) == (
        "Высокий",
        "Склад",
        "Ожидает",
    )
    assert {str(c.label) for c in TaskPriority} == {"Низкий", "Средний", "Высокий", "Срочный"}
    assert [str(c.label) for c in TaskStatus] == ["Ожидает", "В работе", "На проверке", "Завершена", "Отменена"]
    assert [str(c.label) for c in TaskCategory] == [
        "Склад",
        "Продажи",
        "Обслуживание клиентов",
        "Обслуживание оборудования",
        "Уборка",
        "Прочее",
    ]


def test_routes_answer_without_trailing_slash(shop, tenant):
    task = _create(shop)
    template = TaskTemplateFactory(tenant=tenant)
    client = shop["manager"].client
    for path in (
        "/api/tasks/tasks",
        f"/api/tasks/tasks/{task['id']}",
        "/api/tasks/tasks/my-tasks",
        "/api/tasks/tasks/today",
        "/api/tasks/tasks/overdue",
        "/api/tasks/tasks/stats",
        f"/api/tasks/comments?task={task['id']}",
        "/api/tasks/templates",
        f"/api/tasks/templates/{template.pk}",
    ):
        assert client.get(path).status_code == 200, path
    assert _act(client, task["id"], "start")["data"]["status"] == "in_progress"
    assert client.post(f"/api/tasks/tasks/{task['id']}/submit-for-review", {}, format="json").status_code == 200


def test_error_codes(shop, anon, other_owner):
    """001 "Коды ошибок": 400 invalid, 401 no token, 403 role, 404 not found (another store's too)."""
    task = _create(shop)
    assert anon.get("/api/tasks/tasks/").status_code == 401
    assert shop["cashier"].client.post("/api/tasks/tasks/", CREATE_BODY, format="json").status_code == 403
    assert other_owner.client.get(f"/api/tasks/tasks/{task['id']}/").status_code == 404
    response = shop["manager"].client.post("/api/tasks/tasks/", {"priority": "high"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"title": ["Обязательное поле."]}
    assert TaskHistory.objects.count() == 1
