from .models import ResidentProfile, User


def user_roles(*, user: User) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(user.role_grants.values_list("role", flat=True))


def resident_profile(*, user: User) -> ResidentProfile | None:
    if not user.is_authenticated:
        return None
    return ResidentProfile.objects.select_related("wallet__currency").filter(user=user).first()
