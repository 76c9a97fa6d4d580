from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "savdo.customers"
    label = "customers"
