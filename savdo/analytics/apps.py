from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "savdo.analytics"
    label = "analytics"
