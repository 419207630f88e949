from django.db.models import QuerySet

from .models import ResidentProfile, Shop, ShopStatus, User


def user_roles(*, user: User) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(user.role_grants.values_list("role", flat=True))


def resident_profile(*, user: User) -> ResidentProfile | None:
    if not user.is_authenticated:
        return None
    return ResidentProfile.objects.select_related("wallet__currency").filter(user=user).first()


def shops_accepting() -> QuerySet[Shop]:
    """Shops a resident can pay now: approved, with their ledger account open."""
    return (
        Shop.objects.select_related("neighbourhood")
        .filter(status=ShopStatus.APPROVED, account__isnull=False, account__status="open")
        .order_by("name", "id")
    )
