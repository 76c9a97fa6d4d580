from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "savdo.inventory"
    label = "inventory"
