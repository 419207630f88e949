from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.shop_home, name="shop-home"),
    path("apply/", views.shop_apply, name="shop-apply"),
    path("invite/<str:token>/", views.invite_accept, name="shop-invite-accept"),
    path("<int:shop_id>/", views.shop_detail, name="shop-detail"),
    path("<int:shop_id>/edit/", views.shop_edit, name="shop-edit"),
    path("<int:shop_id>/cashiers/invite/", views.cashier_invite, name="shop-cashier-invite"),
    path(
        "<int:shop_id>/cashiers/<int:user_id>/remove/",
        views.cashier_remove,
        name="shop-cashier-remove",
    ),
    path(
        "<int:shop_id>/invites/<int:invite_id>/revoke/",
        views.invite_revoke,
        name="shop-invite-revoke",
    ),
]
