"""Which tenant a user acts for: read from their memberships, never from a header alone."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from apps.tenancy.models import Membership, Tenant
from apps.users.models import User

# The request header that names a tenant by its slug, for users who belong to several.
TENANT_HEADER = "X-Tenant"
MSG_NOT_A_MEMBER = "You are not a member of any tenant."
MSG_CHOOSE_TENANT = "You belong to several tenants: name one in the X-Tenant header."
MSG_UNKNOWN_TENANT = "No such tenant."


def tenant_for_user(*, user: User, slug: str | None) -> Tenant:
    """The tenant ``user`` acts for: the one named by ``slug``, or their only one.

    A slug the user has no membership for is answered like a slug that does not exist
    (Http404): whether another organisation exists is not the caller's business.
    """
    if slug:
        membership = Membership.objects.filter(user=user, tenant__slug=slug).select_related("tenant").first()
        if membership is None:
            raise Http404(MSG_UNKNOWN_TENANT)
        return membership.tenant
    memberships = list(Membership.objects.filter(user=user).select_related("tenant")[:2])
    if not memberships:
        raise PermissionDenied(MSG_NOT_A_MEMBER)
    if len(memberships) > 1:
        raise PermissionDenied(MSG_CHOOSE_TENANT)
    return memberships[0].tenant
