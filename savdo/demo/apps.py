from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and benchmark data: `savdo demo` and `savdo generate` (no models of its own)."""

    name = "savdo.demo"
    label = "demo"
