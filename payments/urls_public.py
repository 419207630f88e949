"""Public keys of the shops' signed payment requests, mounted at /.well-known/."""

from . import views_public

urlpatterns = views_public.routes.urls
