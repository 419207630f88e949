from django.urls import URLPattern, URLResolver, path

from . import views, views_transparency

urlpatterns: list[URLPattern | URLResolver] = [
    path("impact/", views.impact, name="impact"),
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
