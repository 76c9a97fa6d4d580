from django.urls import re_path

from savdo.api.telecom import views

urlpatterns = [
    re_path(r"^api/auth/login/?$", views.LoginView.as_view(), name="telecom-login"),
    re_path(r"^api/auth/refresh/?$", views.RefreshView.as_view(), name="telecom-refresh"),
]
