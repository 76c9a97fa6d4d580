from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "savdo.sales"
    label = "sales"
