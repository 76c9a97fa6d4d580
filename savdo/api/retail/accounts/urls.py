from django.urls import re_path

from savdo.api.retail.accounts import invitations, staff, views
from savdo.api.retail.conventions import retail_router

urlpatterns = [
    re_path(r"^api/users/auth/register/?$", views.RegisterView.as_view(), name="retail-register"),
    re_path(r"^api/users/auth/login/?$", views.LoginView.as_view(), name="retail-login"),
    re_path(r"^api/users/auth/refresh/?$", views.RefreshView.as_view(), name="retail-refresh"),
    re_path(r"^api/users/profile/?$", views.ProfileView.as_view(), name="retail-profile"),
]

# Staff of the store (/api/users/staff/, its invitations /api/users/staff/invitations/): see
# savdo/api/retail/accounts/staff.py; a user's own invitations (/api/users/invitations/): invitations.py.
staff_router = retail_router()
staff_router.register(r"api/users/staff/invitations", staff.StaffInvitationViewSet, basename="retail-staff-invitation")
staff_router.register(r"api/users/staff", staff.StaffViewSet, basename="retail-staff")
staff_router.register(r"api/users/invitations", invitations.MyInvitationViewSet, basename="retail-invitation")
urlpatterns += staff_router.urls
