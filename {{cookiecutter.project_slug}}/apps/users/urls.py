from django.urls import path
from rest_framework_simplejwt.views import TokenBlacklistView, TokenRefreshView, TokenVerifyView

from apps.users.views import (
    EmailChangeConfirmView,
    EmailVerifyView,
    LoginView,
    MeEmailView,
    MeMfaConfirmView,
    MeMfaDisableView,
    MeMfaView,
    MeView,
    MfaVerifyView,
    PasswordResetConfirmView,
    PasswordResetRequestView,
    SignupView,
)

urlpatterns = [
    path("auth/signup/", SignupView.as_view(), name="auth-signup"),
    path("auth/verify-email/", EmailVerifyView.as_view(), name="auth-verify-email"),
    path("auth/token/", LoginView.as_view(), name="auth-token"),
    path("auth/mfa/verify/", MfaVerifyView.as_view(), name="auth-mfa-verify"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/token/verify/", TokenVerifyView.as_view(), name="auth-token-verify"),
    # Logging out blacklists the refresh token; the short-lived access token expires on its own.
    path("auth/logout/", TokenBlacklistView.as_view(), name="auth-logout"),
    path("auth/password-reset/", PasswordResetRequestView.as_view(), name="auth-password-reset"),
    path("auth/password-reset/confirm/", PasswordResetConfirmView.as_view(), name="auth-password-reset-confirm"),
    path("auth/email-change/confirm/", EmailChangeConfirmView.as_view(), name="auth-email-change-confirm"),
    path("users/me/", MeView.as_view(), name="users-me"),
    path("users/me/email/", MeEmailView.as_view(), name="users-me-email"),
    path("users/me/mfa/", MeMfaView.as_view(), name="users-me-mfa"),
    path("users/me/mfa/confirm/", MeMfaConfirmView.as_view(), name="users-me-mfa-confirm"),
    path("users/me/mfa/disable/", MeMfaDisableView.as_view(), name="users-me-mfa-disable"),
]
