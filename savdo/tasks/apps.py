from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "savdo.tasks"
    label = "tasks"
