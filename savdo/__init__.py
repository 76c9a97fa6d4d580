"""Savdo: one multi-tenant business backend serving five documented API shapes."""

__version__ = "0.1.0"
