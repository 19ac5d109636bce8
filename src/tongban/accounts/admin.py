"""Admin for accounts: personal data shown masked; every change audited."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from tongban.accounts import second_factor
from tongban.accounts.models import StaffAssignment, User, UserKind
from tongban.accounts.services import audit_view, role_view
from tongban.core import audit
from tongban.core.pii import mask_id_number, mask_phone


class StaffAssignmentInline(admin.TabularInline):
    model = StaffAssignment
    extra = 0
    autocomplete_fields = ["organisation"]


class StaffCreationForm(UserCreationForm):
    """Administrators create staff accounts here (people and enterprises sign themselves up): a username, a name and
    an initial password that passes the strength rules; roles are granted on the next page."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "display_name")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = StaffCreationForm
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["username", "display_name", "password1", "password2"]})]
    actions = ["reset_second_factor"]
    list_display = ["username", "display_name", "kind", "masked_phone", "real_name_level", "is_active"]
    list_filter = ["kind", "real_name_level", "is_active", "is_superuser"]
    search_fields = ["username", "display_name"]
    readonly_fields = ["masked_phone", "masked_id_number", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("身份"), {"fields": ["kind", "display_name", "masked_phone", "masked_id_number", "real_name_level"]}),
        (_("状态"), {"fields": ["is_active", "is_staff", "is_superuser", "last_login", "date_joined"]}),
    ]
    inlines = [StaffAssignmentInline]

    @admin.display(description=_("手机号码"))
    def masked_phone(self, obj: User) -> str:
        return mask_phone(obj.phone) if obj.phone else "—"

    @admin.display(description=_("证件号码"))
    def masked_id_number(self, obj: User) -> str:
        return mask_id_number(obj.id_number) if obj.id_number else "—"

    def get_inlines(self, request, obj):
        """Roles only for staff accounts (staff_role_grant refuses anyone else too)."""
        return self.inlines if obj is not None and obj.kind == UserKind.STAFF else []

    @admin.action(description=_("重置动态口令（手机丢失时）"))
    def reset_second_factor(self, request, queryset):
        """The staff member binds a new authenticator at their next sign-in; each reset is audited."""
        for user in queryset:
            second_factor.totp_reset(actor=request.user, user=user)
        message = _("已重置 %(count)d 个账号的动态口令，下次登录时需重新绑定。") % {"count": len(queryset)}
        self.message_user(request, message)

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if not change:
            obj.kind = UserKind.STAFF  # the add form makes staff accounts only
        before = audit_view(User.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        action = "user.update" if change else "user.create"
        audit.record(actor=request.user, action=action, obj=obj, before=before, after=audit_view(obj))

    @transaction.atomic
    def delete_model(self, request, obj):
        before = audit_view(obj)
        audit.record(actor=request.user, action="user.delete", obj=obj, before=before)
        super().delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        """Role grants and revocations made in the inline are audited one by one."""
        instances = formset.save(commit=False)
        for assignment in formset.deleted_objects:
            audit.record(actor=request.user, action="staff_role.revoke", obj=assignment, before=role_view(assignment))
            assignment.delete()
        for assignment in instances:
            assignment.save()
            audit.record(actor=request.user, action="staff_role.grant", obj=assignment, after=role_view(assignment))
        formset.save_m2m()


# --- Sign-in records (accounts/signin.py): read-only; phone numbers masked -------------------------------------
from tongban.accounts.models import SignInAttempt, SmsMessage, UserSession  # noqa: E402


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the sign-in services only: viewable, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SmsMessage)
class SmsMessageAdmin(_ReadOnlyAdmin):
    """The local sender's outbox of text messages (本地短信记录): what the demo's "phone" received."""

    list_display = ["created_at", "masked_phone", "purpose", "body", "backend"]
    list_filter = ["purpose", "backend"]
    fields = ["created_at", "masked_phone", "purpose", "body", "backend", "outbox_id"]
    readonly_fields = fields

    @admin.display(description=_("手机号码"))
    def masked_phone(self, obj: SmsMessage) -> str:
        return mask_phone(obj.phone)


@admin.register(SignInAttempt)
class SignInAttemptAdmin(_ReadOnlyAdmin):
    list_display = ["created_at", "user", "method", "succeeded", "reason", "ip"]
    list_filter = ["succeeded", "method", "reason"]
    list_select_related = ["user"]
    fields = ["created_at", "user", "account_key", "method", "succeeded", "reason", "ip", "user_agent"]
    readonly_fields = fields


@admin.register(UserSession)
class UserSessionAdmin(_ReadOnlyAdmin):
    list_display = ["created_at", "user", "ip", "last_seen_at", "ended_at"]
    list_filter = ["ended_at"]
    list_select_related = ["user"]
    fields = ["user", "ip", "user_agent", "created_at", "last_seen_at", "ended_at"]
    readonly_fields = fields


# Identity registries and agent authorisations (accounts/admin_identity.py)
from tongban.accounts import admin_identity  # noqa: E402, F401

# isort: split
# Single sign-on clients: DOT's application admin, audited (accounts/oidc_admin.py).
from tongban.accounts import oidc_admin  # noqa: E402, F401
