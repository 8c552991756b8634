"""Money for Hub du Sud (issue 4): the Stripe gateway, the double-entry ledger,
webhook processing, card payments, vouchers and their rules, reconciliation.

Imports no Flask and nothing from ``app``: the app binds the models onto its
own declarative Base (`payments.models.bind_models`) and calls these modules.
``payments.gateway`` is the only module of the project that imports ``stripe``.
See payments/README.md.

Modules: ``interface`` (plain dataclasses, the PaymentGateway protocol),
``gateway`` (StripeGateway), ``testing`` (FakeGateway), ``models``, ``ledger``,
``rules``, ``checkout``, ``programmes``, ``voucher_codes``, ``vouchers``, ``guards``, ``webhooks``, ``reconcile``,
``codes`` (statuses and refusal codes; the app words them), ``errors``.
"""
