"""Document 004's routes: sign-in, subscribers, SIMs, tariffs, contracts, payments
(`telecom_urls`) and support tickets (`ticket_urls`)."""

from django.urls import re_path

from savdo.api.telecom import telecom_urls, ticket_urls, views

urlpatterns = [
    re_path(r"^api/auth/login/?$", views.LoginView.as_view(), name="telecom-login"),
    re_path(r"^api/auth/refresh/?$", views.RefreshView.as_view(), name="telecom-refresh"),
    *telecom_urls.urlpatterns,
    *ticket_urls.urlpatterns,
]
