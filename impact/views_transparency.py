"""The transparency page: what is in circulation, where it sits, the chain of signed block heads
with the public keys, how to check them, and a resident's proofs for their own transfers
(docs/transparency.md)."""

import json
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.models import ResidentProfile, User
from accounts.views_wallet import uncached_resident_page
from core.routes import Routes
from ledger import proofs, sealing, selectors
from ledger.models import Account, AccountKind, Block, Entry

from .inputs import MAX_ID, id_or_none

routes = Routes()

CHAIN_PAGE = 20

KIND_LABELS: dict[str, object] = {
    AccountKind.ISSUER: gettext_lazy("Issuer (minus what is in circulation)"),
    AccountKind.BUDGET: gettext_lazy("Campaign budgets"),
    AccountKind.WALLET: gettext_lazy("Residents' wallets"),
    AccountKind.SHOP: gettext_lazy("Shops"),
    AccountKind.SETTLEMENT: gettext_lazy("Settled into euros"),
    AccountKind.EXPIRY: gettext_lazy("Expired"),
    AccountKind.FUND: gettext_lazy("Community fund"),
    AccountKind.VOUCHER: gettext_lazy("Paper vouchers"),
}


def _totals_per_kind() -> list[dict[str, object]]:
    rows = (
        Account.objects.values("currency__code", "currency__decimals", "kind")
        .annotate(total=Sum("balance"), accounts=Count("id"))
        .order_by("currency__code", "kind")
    )
    return [{**row, "label": KIND_LABELS.get(row["kind"], row["kind"])} for row in rows]


def _keys() -> list[tuple[str, str]]:
    return [
        (
            key_id,
            key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ).decode(),
        )
        for key_id, key in sealing.verify_keys().items()
    ]


def _own_transfers(user: object) -> list[Entry]:
    """A signed-in resident's latest wallet entries, for their proofs; nobody else's."""
    if not isinstance(user, User) or not hasattr(user, "resident"):
        return []
    return list(
        Entry.objects.filter(account_id=user.resident.wallet_id)
        .select_related("transfer")
        .order_by("-account_version")[:10]
    )


@routes("transparency/", name="transparency")
@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    before = request.GET.get("before", "")
    blocks = Block.objects.order_by("-height")
    if (height := id_or_none(before)) is not None:
        blocks = blocks.filter(height__lt=height)
    chain = list(blocks[: CHAIN_PAGE + 1])
    return render(
        request,
        "transparency/transparency.html",
        {
            "supplies": selectors.currency_supplies(),
            "totals": _totals_per_kind(),
            "chain": chain[:CHAIN_PAGE],
            "older": chain[CHAIN_PAGE - 1].height if len(chain) > CHAIN_PAGE else None,
            "keys": _keys(),
            "own": _own_transfers(request.user),
        },
    )


def _heads() -> Iterator[str]:
    yield "["
    for i, block in enumerate(Block.objects.order_by("height").iterator(chunk_size=2000)):
        yield ("," if i else "") + json.dumps(proofs.block_head(block), sort_keys=True)
    yield "]\n"


@routes("transparency/blocks.json", name="transparency-blocks")
@require_GET
def blocks_json(request: HttpRequest) -> StreamingHttpResponse:
    """Every signed block head, oldest first, for `docs/verify_ledger.py chain`."""
    response = StreamingHttpResponse(_heads(), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="heitje-blocks.json"'
    return response


@routes("transparency/verify_ledger.py", name="transparency-verifier")
@require_GET
def verifier_script(request: HttpRequest) -> HttpResponse:
    """docs/verify_ledger.py, the standalone checker, as a download from the site itself."""
    source = Path(settings.BASE_DIR, "docs", "verify_ledger.py").read_text(encoding="utf-8")
    response = HttpResponse(source, content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="verify_ledger.py"'
    return response


@routes("transparency/proofs/<int:transfer_id>.json", name="transparency-proof")
@uncached_resident_page("GET")
def proof_download(
    request: HttpRequest, profile: ResidentProfile, transfer_id: int
) -> HttpResponse:
    """The inclusion proof of one of the resident's own transfers (one that moved their
    wallet); any other transfer is not found, so nobody learns of other people's."""
    own = Entry.objects.filter(transfer_id=transfer_id, account_id=profile.wallet_id)
    if transfer_id > MAX_ID or not own.exists():
        return render(
            request,
            "transparency/proof_missing.html",
            {"message": _("This is not one of your transfers.")},
            status=404,
        )
    proof = proofs.transfer_proof(transfer_id=transfer_id)
    if proof is None:
        return render(
            request,
            "transparency/proof_missing.html",
            {
                "message": _(
                    "This transfer is not sealed yet. Seals are made every few minutes: "
                    "try again shortly."
                )
            },
            status=409,
        )
    response = JsonResponse(proof, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="heitje-proof-{transfer_id}.json"'
    return response
