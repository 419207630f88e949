from django.urls import URLPattern, URLResolver, path

from . import views, views_finance, views_open_data, views_shop, views_transparency

urlpatterns: list[URLPattern | URLResolver] = [
    path("impact/", views.impact, name="impact"),
    path("staff/finance/", views_finance.finance_home, name="staff-finance"),
    path("staff/finance/report/", views_finance.funders_report, name="staff-finance-report"),
    path(
        "shop/<int:shop_id>/statements/<int:year>/<int:month>/",
        views_shop.shop_month_statement,
        name="shop-month-statement",
    ),
    path("open-data/", views_open_data.open_data_page, name="open-data"),
    path("open-data/work.csv", views_open_data.open_data_csv, name="open-data-csv"),
    path("open-data/work.json", views_open_data.open_data_json, name="open-data-json"),
    path("transparency/", views_transparency.transparency, name="transparency"),
    path("transparency/blocks.json", views_transparency.blocks_json, name="transparency-blocks"),
    path(
        "transparency/verify_ledger.py",
        views_transparency.verifier_script,
        name="transparency-verifier",
    ),
    path(
        "transparency/proofs/<int:transfer_id>.json",
        views_transparency.proof_download,
        name="transparency-proof",
    ),
]
