from django.urls import re_path

from savdo.api.retail.accounts import views

urlpatterns = [
    re_path(r"^api/users/auth/register/?$", views.RegisterView.as_view(), name="retail-register"),
    re_path(r"^api/users/auth/login/?$", views.LoginView.as_view(), name="retail-login"),
    re_path(r"^api/users/auth/refresh/?$", views.RefreshView.as_view(), name="retail-refresh"),
    re_path(r"^api/users/profile/?$", views.ProfileView.as_view(), name="retail-profile"),
]
