"""API of paper vouchers and settlement (tags "vouchers" and "settlement").

Staff (TOTP-verified session): voucher batches, four eyes (a task manager requests, a different
approver approves or rejects, the requester fetches the codes once); list, approve and reject
settlements; export approved settlements into a pain.001 file, download it, mark it paid.
Shops: redeem a voucher at the till (owner or cashier); the owner requests and lists
settlements. Someone else's shop answers 404. The views only validate input and call
payments.voucher_batches / payments.vouchers / payments.settlement.

One module per use case: `vouchers`, `settlements` (staff), `shops`; `serializers` holds
the permissions and bodies.
"""

from django.urls import URLPattern, URLResolver, include, path

from . import settlements, shops, vouchers

# The routes are declared beside the views; these are all of them, for /api/v1/.
urlpatterns: list[URLPattern | URLResolver] = [
    *vouchers.routes.urls,
    *settlements.routes.urls,
    path("shops/<int:shop_id>/", include(shops.routes.urls)),
]
