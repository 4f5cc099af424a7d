from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import transaction
from django.forms import ModelForm
from django.http import HttpRequest

from apps.users.models import User
from apps.users.services import user_create, user_deactivate, user_stats_cache_clear, user_update

# Change-form fields no service writes yet (is_active only when switching an account back on).
FIELDS_WITHOUT_A_SERVICE = ("is_active", "is_staff", "is_superuser")


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserUpdateForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreationForm
    form = UserUpdateForm
    ordering = ("-created_at",)
    list_display = ("email", "full_name", "is_active", "is_staff", "created_at")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    search_fields = ("email", "full_name")
    readonly_fields = ("created_at", "updated_at", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        if not change:
            # The creation form has hashed the password onto obj; user_create takes the plain one
            # (and validates it again), or None when password-based authentication is disabled.
            password = form.cleaned_data["password1"] if form.cleaned_data["set_usable_password"] else None
            created = user_create(email=form.cleaned_data["email"], password=password)
            # The admin logs the addition and redirects with obj: make it the row user_create wrote.
            obj.pk = created.pk
            obj.refresh_from_db()
            obj._state.adding = False
            return
        # The form has already copied its values onto obj; the services compare against the stored row.
        stored = User.objects.get(pk=obj.pk)
        user_update(user=stored, full_name=obj.full_name, email=obj.email)
        if stored.is_active and not obj.is_active:
            user_deactivate(user=stored)
        # Reactivating and granting staff or superuser have no service yet: they are written here,
        # with the side effect the services have on the cached head counts of user_stats.
        unserviced = [field for field in FIELDS_WITHOUT_A_SERVICE if getattr(stored, field) != getattr(obj, field)]
        if unserviced:
            for field in unserviced:
                setattr(stored, field, getattr(obj, field))
            stored.save(update_fields=[*unserviced, "updated_at"])
            transaction.on_commit(user_stats_cache_clear)
