"""Payments plumbing of the app: the gateway factory, the Stripe webhook route, reconciliation."""
