from django.urls import URLPattern, URLResolver, path

from . import views_shop

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_shop.shop_home, name="shop-home"),
    path("apply/", views_shop.shop_apply, name="shop-apply"),
    path("invite/<str:token>/", views_shop.invite_accept, name="shop-invite-accept"),
    path("<int:shop_id>/", views_shop.shop_detail, name="shop-detail"),
    path("<int:shop_id>/edit/", views_shop.shop_edit, name="shop-edit"),
    path("<int:shop_id>/cashiers/invite/", views_shop.cashier_invite, name="shop-cashier-invite"),
    path(
        "<int:shop_id>/cashiers/<int:user_id>/remove/",
        views_shop.cashier_remove,
        name="shop-cashier-remove",
    ),
    path(
        "<int:shop_id>/invites/<int:invite_id>/revoke/",
        views_shop.invite_revoke,
        name="shop-invite-revoke",
    ),
]
