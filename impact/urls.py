"""The impact, transparency and open-data pages, staff finance and the shop's statements,
mounted at /."""

from . import views, views_finance, views_open_data, views_shop, views_transparency

urlpatterns = [
    *views.routes.urls,
    *views_finance.routes.urls,
    *views_shop.routes.urls,
    *views_open_data.routes.urls,
    *views_transparency.routes.urls,
]
