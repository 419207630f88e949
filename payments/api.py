"""Payments API (tag "payments"): the resident's codes, payment requests and poster payments in
the wallet; charges, payment requests, the day's payments, refunds and the poster at the shop.
Views validate input, call one service and serialise the result; someone else's shop,
payment or request answers 404. Formats: docs/qr.md.

The views live in payments.api_wallet and payments.api_shop, their serializers in
payments.api_common; this module mounts their routes (declared beside the views)."""

from core.routes import Routes

from . import api_shop, api_wallet

routes = Routes()
routes.include("wallet/", api_wallet.routes)
routes.include("shops/<int:shop_id>/", api_shop.routes)
