from django.urls import URLPattern, URLResolver, path

from . import views_public

urlpatterns: list[URLPattern | URLResolver] = [
    path("heitje-payment-keys.json", views_public.payment_keys, name="payment-keys-well-known"),
]
