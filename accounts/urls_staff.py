from django.urls import URLPattern, URLResolver, path

from . import views_staff, views_staff_access

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_staff.home, name="staff-home"),
    path("digest/", views_staff.digest_switch, name="staff-digest"),
    path("2fa/setup/", views_staff_access.twofa_setup, name="staff-2fa-setup"),
    path("2fa/verify/", views_staff_access.twofa_verify, name="staff-2fa-verify"),
    path("residents/", views_staff.residents, name="staff-residents"),
    path(
        "residents/<int:user_id>/birth-year/",
        views_staff.resident_birth_year,
        name="staff-resident-birth-year",
    ),
    path(
        "residents/<int:user_id>/verify/",
        views_staff.resident_verify,
        name="staff-resident-verify",
    ),
    path("invite-codes/", views_staff.invite_codes, name="staff-invite-codes"),
    path("neighbourhoods/", views_staff.neighbourhoods, name="staff-neighbourhoods"),
    path(
        "neighbourhoods/<int:neighbourhood_id>/",
        views_staff.neighbourhood_edit,
        name="staff-neighbourhood-edit",
    ),
    path("members/", views_staff.members, name="staff-members"),
    path("members/<int:user_id>/", views_staff.member_roles, name="staff-member-roles"),
    path(
        "members/<int:user_id>/two-factor-reset/",
        views_staff.member_totp_reset,
        name="staff-member-totp-reset",
    ),
    path("audit-log/", views_staff.audit_log, name="staff-audit-log"),
    path("welcome/<str:uidb64>/<str:token>/", views_staff_access.welcome, name="staff-welcome"),
]
