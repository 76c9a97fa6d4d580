from django.contrib import admin

from savdo.tenancy.models import Invitation, Membership, Tenant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "phone_region", "time_zone", "currency", "is_active", "created_at"]
    search_fields = ["name", "key"]
    list_filter = ["is_active", "phone_region"]
    readonly_fields = ["key", "created_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "user__email", "tenant__name"]
    raw_id_fields = ["user", "tenant"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["login", "tenant", "role", "status", "created_at", "responded_at"]
    list_filter = ["status", "role"]
    search_fields = ["login", "tenant__name"]
    raw_id_fields = ["tenant", "user", "invited_by"]
    readonly_fields = ["created_at", "responded_at"]
