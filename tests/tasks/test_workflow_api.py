"""The issue's "done when": an owner staffs the store through the API, a manager hands a cashier a
task from a template, the review goes round once, and the lists and statistics follow every step."""

from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from savdo.tasks.models import Task, TaskComment
from tests.conftest import client_for

PASSWORD = "Sklad-Parol-2025!"


def _login(username: str) -> APIClient:
    response = APIClient().post("/api/users/auth/login/", {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['data']['tokens']['access']}")
    return client


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _stats(client) -> dict:
    response = client.get("/api/tasks/tasks/stats/")
    assert response.status_code == 200, response.content
    return response.json()


def _by_status(**counts) -> dict:
    return {"pending": 0, "in_progress": 0, "on_review": 0, "completed": 0, "cancelled": 0, **counts}


def test_owner_staffs_store_and_task_goes_through_review(owner, tenant):
    # The owner adds a manager and a cashier (new users) through the staff API.
    for username, role in (("dilnoza", "manager"), ("bekzod", "cashier")):
        response = owner.client.post(
            "/api/users/staff/",
            {
                "username": username,
                "first_name": username.title(),
                "last_name": "Karimova" if role == "manager" else "Aliyev",
                "phone": "+998901112233" if role == "manager" else "+998935556677",
                "password": PASSWORD,
                "role": role,
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["role"] == role
    manager, cashier = _login("dilnoza"), _login("bekzod")
    staff = {row["username"]: row for row in owner.client.get("/api/users/staff/").json()["results"]}
    cashier_id = staff["bekzod"]["id"]

    # The manager makes a template and, from it, a task for the cashier due in two hours.
    template = manager.post(
        "/api/tasks/templates/",
        {"title": "Пересчёт кассы", "description": "Сверить наличные", "priority": "urgent", "category": "sales"},
        format="json",
    )
    assert template.status_code == 201, template.content
    due = timezone.now() + timedelta(hours=2)
    if timezone.localtime(due).date() != timezone.localtime(timezone.now()).date():
        due = timezone.now() + timedelta(minutes=1)  # stay on today's local date near midnight
    created = manager.post(
        f"/api/tasks/templates/{template.json()['id']}/create-task/",
        {"assigned_to": cashier_id, "due_date": due.isoformat()},
        format="json",
    )
    assert created.status_code == 201, created.content
    task = created.json()["data"]
    task_id = task["id"]
    assert (task["title"], task["priority"], task["category"], task["status"]) == (
        "Пересчёт кассы",
        "urgent",
        "sales",
        "pending",
    )
    assert task["assigned_to"] == cashier_id

    assert _ids(cashier.get("/api/tasks/tasks/my-tasks/")) == [task_id]
    assert _ids(cashier.get("/api/tasks/tasks/today/")) == [task_id]
    assert _ids(manager.get("/api/tasks/tasks/my-tasks/")) == []
    assert _ids(manager.get("/api/tasks/tasks/overdue/")) == []
    assert _stats(manager)["by_status"] == _by_status(pending=1)

    # Cashier starts and submits it.
    assert cashier.post(f"/api/tasks/tasks/{task_id}/start/").status_code == 200
    assert _stats(cashier)["by_status"] == _by_status(in_progress=1)
    submitted = cashier.post(f"/api/tasks/tasks/{task_id}/submit-for-review/")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["data"]["status"] == "on_review"
    assert _stats(manager)["by_status"] == _by_status(on_review=1)
    assert _ids(cashier.get("/api/tasks/tasks/my-tasks/")) == [task_id]  # still open: on review

    # Manager rejects with a comment; the comment is on the task.
    rejected = manager.post(f"/api/tasks/tasks/{task_id}/reject/", {"comment": "Не все пункты выполнены"})
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["data"]["status"] == "in_progress"
    comments = cashier.get(f"/api/tasks/comments/?task={task_id}").json()["results"]
    assert [c["comment"] for c in comments] == ["Не все пункты выполнены"]
    assert _stats(manager)["by_status"] == _by_status(in_progress=1)

    # The cashier cannot approve their own work.
    refused = cashier.post(f"/api/tasks/tasks/{task_id}/approve/")
    assert refused.status_code == 403

    # The due time passes while the cashier redoes it: overdue everywhere.
    Task.objects.filter(pk=task_id).update(due_date=timezone.now() - timedelta(minutes=1))
    assert _ids(manager.get("/api/tasks/tasks/overdue/")) == [task_id]
    assert _ids(cashier.get("/api/tasks/tasks/overdue/")) == [task_id]
    assert _stats(manager)["overdue"] == 1

    assert cashier.post(f"/api/tasks/tasks/{task_id}/submit-for-review/").status_code == 200
    approved = manager.post(f"/api/tasks/tasks/{task_id}/approve/")
    assert approved.status_code == 200, approved.content
    done = approved.json()["data"]
    assert done["status"] == "completed"
    assert done["completed_at"] is not None
    assert [(h["action"], h["from_status"], h["to_status"]) for h in done["history"]] == [
        ("create", "", "pending"),
        ("start", "pending", "in_progress"),
        ("submit_for_review", "in_progress", "on_review"),
        ("reject", "on_review", "in_progress"),
        ("submit_for_review", "in_progress", "on_review"),
        ("approve", "on_review", "completed"),
    ]
    assert done["history"][3]["comment"] == "Не все пункты выполнены"
    assert TaskComment.objects.filter(task_id=task_id).count() == 1

    # Completed: no longer mine, no longer overdue; the statistics say so.
    assert _ids(cashier.get("/api/tasks/tasks/my-tasks/")) == []
    assert _ids(manager.get("/api/tasks/tasks/overdue/")) == []
    stats = _stats(manager)
    assert stats == {
        "total": 1,
        "by_status": _by_status(completed=1),
        "by_priority": {"low": 0, "medium": 0, "high": 0, "urgent": 1},
        "overdue": 0,
    }

    # Deactivating the cashier stops their token at once; the task stays theirs.
    assert owner.client.post(f"/api/users/staff/{cashier_id}/deactivate/").status_code == 200
    assert cashier.get("/api/tasks/tasks/").status_code == 403
    assert Task.objects.get(pk=task_id).assigned_to_id == cashier_id


def test_staff_added_existing_user_acts_in_new_store(owner, tenant, other_owner):
    """An existing user (owner elsewhere), invited as cashier, accepts and picks the store with
    X-Tenant-Key."""
    response = owner.client.post(
        "/api/users/staff/", {"username": other_owner.user.username, "role": "cashier"}, format="json"
    )
    assert response.status_code == 202, response.content
    accepted = client_for(other_owner.user).post(f"/api/users/invitations/{response.json()['id']}/accept/")
    assert accepted.status_code == 200, accepted.content
    client = client_for(other_owner.user, tenant)
    assert client.get("/api/tasks/tasks/").status_code == 200
    assert client.post("/api/tasks/tasks/", {"title": "x"}, format="json").status_code == 403
