"""Money: the Stripe gateway (the only module that will call Stripe), webhook
verification, the double-entry ledger, voucher and licence settlement rules.
Imports no Flask. (Issue 4: vouchers and payments.)"""
