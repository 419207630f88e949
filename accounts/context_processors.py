"""What every page knows about the signed-in person: which front doors their roles open."""

from typing import Any

from django.http import HttpRequest

from .permissions import is_staff_member, roles_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {"wallet": False, "staff": False, "shop": False}}
    roles = roles_of(user)
    return {
        "nav": {
            "wallet": "resident" in roles,
            "staff": is_staff_member(user),
            "shop": user.shop_memberships.exists(),
        }
    }
