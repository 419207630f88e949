from ledger import selectors, services


def test_mint_then_pay_moves_exactly_the_amount(open_account, issuer, currency):
    budget = open_account("budget", funded=10_000)
    wallet = open_account("wallet")
    services.transfer_post(
        kind="payout",
        legs=services.legs_between(source_id=budget.id, destination_id=wallet.id, amount=1_500),
    )
    assert selectors.account_balance(account_id=wallet.id) == 1_500
    assert selectors.account_balance(account_id=budget.id) == 8_500
    assert selectors.currency_supply(currency=currency) == 10_000
