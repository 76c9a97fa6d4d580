from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "savdo.catalog"
    label = "catalog"
