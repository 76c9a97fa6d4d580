from django.urls import re_path

from savdo.api.crm_v1 import views

urlpatterns = [
    re_path(r"^api/v1/auth/login/?$", views.LoginView.as_view(), name="crm-login"),
    re_path(r"^api/v1/auth/logout/?$", views.LogoutView.as_view(), name="crm-logout"),
    re_path(r"^api/v1/auth/refresh/?$", views.RefreshView.as_view(), name="crm-refresh"),
]
