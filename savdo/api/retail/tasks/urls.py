"""Routes of document 001 §5 (`/api/tasks/`)."""

from savdo.api.retail.conventions import retail_router
from savdo.api.retail.tasks import views

router = retail_router()
router.register(r"api/tasks/tasks", views.TaskViewSet, basename="retail-task")
router.register(r"api/tasks/comments", views.TaskCommentViewSet, basename="retail-task-comment")
router.register(r"api/tasks/templates", views.TaskTemplateViewSet, basename="retail-task-template")
router.register(r"api/tasks/assignees", views.AssigneeViewSet, basename="retail-task-assignee")

urlpatterns: list = router.urls
