"""The periodic jobs run from one command per period."""

from __future__ import annotations


def test_periodic_hourly_runs_the_sweep(app, db_session):
    result = app.test_cli_runner().invoke(args=["hub", "periodic", "hourly"])
    assert result.exit_code == 0, result.output
    assert "[proposals-sweep]" in result.output and "0 rappel(s), 0 expiration(s)" in result.output
    assert "[vouchers-expiry]" not in result.output


def test_periodic_daily_runs_expiry_and_reports_a_failing_job(app, db_session, monkeypatch):
    # Stripe is not running for this test: reconciliation fails, the expiry job still runs.
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")
    result = app.test_cli_runner().invoke(args=["hub", "periodic", "daily"])
    assert "[vouchers-expiry]" in result.output and "expiré(s)" in result.output
    assert result.exit_code != 0 and "stripe-reconcile" in result.output
