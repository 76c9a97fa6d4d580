from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from savdo.accounts.models import User
from savdo.tenancy.models import Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["tenant"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Savdo", {"fields": ("phone",)}))
    list_display = ["username", "email", "first_name", "last_name", "phone", "is_active", "is_staff"]
    inlines = [MembershipInline]
