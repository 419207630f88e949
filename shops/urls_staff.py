from django.urls import URLPattern, URLResolver, path

from . import views_staff

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_staff.shop_list, name="staff-shops"),
    path("<int:shop_id>/approve/", views_staff.shop_approve, name="staff-shop-approve"),
    path("<int:shop_id>/suspend/", views_staff.shop_suspend, name="staff-shop-suspend"),
    path(
        "<int:shop_id>/change/approve/",
        views_staff.shop_change_approve,
        name="staff-shop-change-approve",
    ),
    path(
        "<int:shop_id>/change/reject/",
        views_staff.shop_change_reject,
        name="staff-shop-change-reject",
    ),
]
