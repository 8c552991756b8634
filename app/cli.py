"""`flask hub ...` commands."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.accounts.services import get_user_by_email, make_admin
from app.billing.services import reconcile_payments
from app.charter.assessments import run_label_expiry
from app.charter.text import advance_consultations
from app.core.errors import ServiceError
from app.core.jobs import commit
from app.core.mail import deliver_due, undelivered
from app.core.models import utcnow
from app.demo import DEMO_PASSWORD, database_is_empty, load_demo
from app.extensions import db
from app.matches.jobs import run_sweep
from app.observatory.jobs import send_monthly_reports
from app.observatory.services import refresh_coverage
from app.opendata.exports import generate_exports, read_manifest
from app.opendata.imports import import_file
from app.ops.backup import BackupError, backup, restore
from app.privacy.retention import run_retention
from app.searching import synonyms as synonym_table
from app.searching.services import REBUILT_MODELS, index_needs_rebuild, rebuild_all
from app.territory.services import commune_count, load_communes
from app.vouchers.jobs import run_expiry
from app.vouchers.models import Funder
from app.vouchers.services import add_funder_member
from app.vouchers.vocab import FUNDER_KINDS
from payments.errors import GatewayError

hub_cli = AppGroup("hub", help="Hub du Sud administration.")


@hub_cli.command("create-admin")
@click.argument("email")
@click.option("--password", envvar="HUB_ADMIN_PASSWORD", help="Password (prompted when the account is new).")
@click.option("--name", default="Administrateur", show_default=True)
def create_admin(email: str, password: str | None, name: str):
    """Create, or promote, a hub staff admin."""
    if password is None and get_user_by_email(email) is None:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    try:
        user, created = make_admin(email, password, full_name=name)
        commit()
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    click.echo(f"{'created' if created else 'promoted'}: {user.email} (staff, admin)")


@hub_cli.command("load-communes")
@click.option("--file", "path", default=None, help="Defaults to data/communes.csv.gz")
def load_communes_cmd(path: str | None):
    """Load (or reload) every French commune from the reference file."""
    count = load_communes(path or current_app.config["COMMUNES_FILE"])
    commit()
    click.echo(f"{count} communes loaded")


@hub_cli.command("demo")
@click.option("--password", default=None, help="Password of the demo accounts (see README).")
@click.option("--force", is_flag=True, help="Load even if the database already has users.")
def demo_cmd(password: str | None, force: bool):
    """Load the Région Sud demo data."""
    if not force and not database_is_empty():
        raise click.ClickException("the database already has data; use --force to add the demo anyway")
    try:
        summary = load_demo(password or DEMO_PASSWORD)
        commit()
    except (RuntimeError, ServiceError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo(", ".join(f"{v} {k}" for k, v in summary.items()))


@hub_cli.command("bootstrap")
def bootstrap():
    """Load the communes and the demo data when the database is empty (used by `make run`)."""
    if commune_count() == 0:
        click.echo(f"{load_communes(current_app.config['COMMUNES_FILE'])} communes loaded")
        commit()
    if database_is_empty():
        summary = load_demo(DEMO_PASSWORD)
        commit()  # the demo's needs and offers are embedded by the jobs this commit dispatches
        click.echo("demo data: " + ", ".join(f"{v} {k}" for k, v in summary.items()))
    else:
        click.echo("database already has data: demo not loaded")
    if index_needs_rebuild():
        counts = rebuild_all()
        commit()
        click.echo("search index rebuilt: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    if not read_manifest().get("files"):  # /donnees offers its files from the first start
        manifest = generate_exports()
        click.echo("open data files written: " + ", ".join(f"{f['rows']} {n}" for n, f in manifest["files"].items()))


@hub_cli.command("sweep")
def sweep_cmd():
    """Send reminders and expire unanswered proposals, mark failed the match runs whose worker
    died (run it hourly: cron, or an RQ scheduler)."""
    result = run_sweep()
    click.echo(
        f"{result['reminded']} rappel(s), {result['expired']} expiration(s), "
        f"{result['stale']} exécution(s) sans signe de vie"
    )


@hub_cli.command("reindex")
def reindex_cmd():
    """Rebuild the whole search index (offers, providers, needs, resources), with a progress bar."""
    total = sum(db.session.scalar(select(func.count()).select_from(m)) or 0 for m in REBUILT_MODELS)
    with click.progressbar(length=total, label="Indexation") as bar:
        counts = rebuild_all(progress=bar.update)
    commit()
    click.echo(", ".join(f"{n} {kind}" for kind, n in counts.items()))


@hub_cli.group("synonyms")
def synonyms_cli():
    """The search's synonym table (staff edit it at /moderation/recherche/synonymes)."""


@synonyms_cli.command("load")
@click.option("--file", "path", default=None, help="A YAML table; defaults to the one shipped with the app.")
def synonyms_load_cmd(path: str | None):
    """Replace the whole table by a YAML file (checked first: a refused file changes nothing)."""
    source = Path(path) if path else synonym_table.SEED_FILE
    try:
        groups = synonym_table.parse_yaml(source.read_text(encoding="utf-8"))
    except synonym_table.SynonymTableError as error:
        raise click.ClickException("\n".join(error.errors)) from error
    count = synonym_table.replace_table(None, groups)
    commit()  # the job this commit dispatches pushes the table to Meilisearch, when it is configured
    click.echo(f"{count} synonym groups loaded from {source}")


@synonyms_cli.command("push")
def synonyms_push_cmd():
    """Push the table to Meilisearch's `synonyms` setting (done after every change; this is for a new
    or restored Meilisearch)."""
    if not synonym_table.push_synonyms():
        raise click.ClickException("not pushed: no MEILI_URL, or Meilisearch unreachable (see the log)")
    click.echo(f"{len(synonym_table.current_synonyms())} synonym groups pushed to Meilisearch")


# ---------------------------------------------------------------- vouchers and payments


@hub_cli.command("create-funder")
@click.argument("name")
@click.option("--email", "emails", multiple=True, help="Account to attach (existing; repeat the option for several).")
@click.option(
    "--kind",
    default="commune",
    show_default=True,
    help="commune, departement, region, etat, caf, fondation, entreprise, autre",
)
@click.option("--dep", "dep_code", default=None, help="Its département (e.g. 13), if it has one.")
@click.option("--contact", "contact_email", default="", help="Contact e-mail of the funder.")
def create_funder_cmd(name: str, emails: tuple[str, ...], kind: str, dep_code: str | None, contact_email: str):
    """Create a funder (a city, a CAF, a foundation...) and attach accounts to it."""
    if kind not in FUNDER_KINDS:
        raise click.BadParameter(f"one of {', '.join(FUNDER_KINDS)}", param_hint="--kind")
    try:
        funder = Funder(name=name.strip(), kind=kind, dep_code=dep_code, contact_email=contact_email.strip())
        db.session.add(funder)
        db.session.flush()
        for email in emails:
            add_funder_member(None, funder, email, system=True)
        commit()
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    click.echo(f"funder {funder.id}: {funder.name} ({kind}), {len(emails)} member(s)")


@hub_cli.command("vouchers-expiry")
def vouchers_expiry_cmd():
    """Warn 30 days before expiry, block 15 days before, expire at the end (value back to the
    funder). The daily job; safe to run twice."""
    result = run_expiry()
    commit()
    click.echo(
        f"{result['warned']} averti(s), {result['blocked']} bloqué(s), {result['expired']} expiré(s), "
        f"{result['emails']} e-mail(s)"
    )


@hub_cli.command("retention")
@click.option("--now", "now", default=None, help="Run as of this UTC date-time (ISO 8601), e.g. to check a rule.")
def retention_cmd(now: str | None):
    """Apply the register's retention durations: due erasures, unconfirmed sign-ups, inactive accounts
    (warned, then anonymised), closed needs' contacts, old e-mails, ended assessments' evidence. Idempotent."""
    from datetime import UTC, datetime

    try:
        when = datetime.fromisoformat(now) if now else None
    except ValueError as error:
        raise click.BadParameter("--now: une date ISO 8601 (2026-01-31T12:00:00)") from error
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    result = run_retention(when)
    commit()
    click.echo(", ".join(f"{name}: {count}" for name, count in result.items()))


@hub_cli.command("charter-consultations")
def charter_consultations_cmd():
    """Open and close the charter's consultations as their dates say (pages read the dates anyway)."""
    moved = advance_consultations()
    commit()
    click.echo(f"{moved} consultation(s) moved")


@hub_cli.command("labels-expiry")
def labels_expiry_cmd():
    """Warn the holders of charter labels 30 days before expiry (once) and expire the labels whose date
    passed. The daily job; safe to run twice."""
    result = run_label_expiry()
    commit()
    click.echo(f"{result['warned']} label(s) averti(s), {result['expired']} expiré(s)")


@hub_cli.command("reconcile")
@click.option("--days", default=35, show_default=True, help="Payments created in the last DAYS days.")
@click.option("--fix", is_flag=True, help="Apply Stripe's state where ours lags behind (a lost webhook).")
def reconcile_cmd(days: int, fix: bool):
    """Compare our card payments with Stripe's PaymentIntents and print the differences."""
    try:
        report = reconcile_payments(since=utcnow() - timedelta(days=days), apply_fixes=fix)
    except GatewayError as error:
        db.session.rollback()
        raise click.ClickException(f"Stripe unreachable: {error}") from error
    commit()
    click.echo(
        f"{report.checked_local} payment(s) here, {report.checked_stripe} on Stripe: "
        f"{len(report.differences)} difference(s)"
    )
    for difference in report.differences:
        ours = difference.ours or {}
        theirs = difference.theirs or {}
        click.echo(
            f"  {difference.kind} {difference.stripe_id}: ours={ours.get('status')}/{ours.get('amount_cents')} "
            f"stripe={theirs.get('status')}/{theirs.get('amount')}{' (fixed)' if difference.fixed else ''}"
        )


# ---------------------------------------------------------------- e-mail


@hub_cli.command("coverage")
def coverage_cmd():
    """Recompute the observatory's coverage of the Région Sud (communes x skill groups) and store its
    snapshot, which the observatory pages read (the hourly job)."""
    coverage = refresh_coverage()
    white = coverage.white_zones()
    click.echo(
        f"{len(coverage.places)} communes x {len(coverage.groups)} groupes en {coverage.seconds:.2f} s ; "
        f"{len(white)} zone(s) blanche(s) avec des demandes ouvertes"
    )


@hub_cli.command("funder-reports")
@click.option("--force", is_flag=True, help="Build and send last month's reports again, whatever the day.")
def funder_reports_cmd(force: bool):
    """E-mail each funder's members last month's report (PDF and ODS links); the daily job sends it
    once, in the first days of the month."""
    counts = send_monthly_reports(force=force)
    commit()
    click.echo(f"{counts['funders']} rapport(s), {counts['emails']} e-mail(s), {counts['skipped']} déjà envoyé(s)")


@hub_cli.command("send-mail")
def send_mail_cmd():
    """Deliver the outbox messages that are due (new, or whose retry time has come)."""
    if not current_app.config.get("SMTP_URL"):
        click.echo("SMTP_URL is not set: messages stay in the outbox table")
        return
    counts = deliver_due()
    commit()
    click.echo(f"{counts['sent']} sent, {counts['pending']} to retry, {counts['failed']} failed")


@hub_cli.command("mail-status")
@click.option("--limit", default=50, show_default=True)
def mail_status_cmd(limit: int):
    """List the messages not delivered yet and those that failed for good (newest first)."""
    rows = undelivered(limit)
    for row in rows:
        when = row.next_attempt_at.isoformat(timespec="seconds") if row.next_attempt_at else "-"
        click.echo(
            f"{row.id}\t{row.status}\t{row.attempts} attempt(s)\tnext {when}\t{row.recipient}\t"
            f"{row.subject}\t{row.last_error or ''}"
        )
    click.echo(f"{len(rows)} message(s) not delivered")


# ---------------------------------------------------------------- backups


def _backup_targets():
    return db.engine, Path(current_app.config["FILES_DIR"])


@hub_cli.command("backup")
@click.argument("dest", type=click.Path(file_okay=False))
def backup_cmd(dest: str):
    """Back up the database (PostgreSQL: pg_dump -Fc; SQLite: a file copy) and the files
    directory into the new folder DEST, with a manifest (date, revision, row counts)."""
    db.session.remove()
    try:
        manifest = backup(*_backup_targets(), dest)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    rows = sum(manifest["row_counts"].values())
    click.echo(
        f"backup in {dest}: revision {manifest['revision']}, {len(manifest['row_counts'])} tables, "
        f"{rows} rows, {manifest['files']['count']} file(s)"
    )


@hub_cli.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="Replace the database and the files even if the database is not empty.")
def restore_cmd(src: str, yes: bool):
    """Restore a backup made by `flask hub backup` into the configured database and FILES_DIR."""
    db.session.remove()
    try:
        result = restore(*_backup_targets(), src, overwrite=yes)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    manifest = result["manifest"]
    click.echo(
        f"restored {src} (of {manifest['created_at']}, revision {manifest['revision']}): "
        f"{len(manifest['row_counts'])} tables, {manifest['files']['count']} file(s)"
    )
    if result["differences"]:
        for name, (expected, found) in result["differences"].items():
            click.echo(f"  {name}: {found} rows, the backup says {expected}", err=True)
        raise click.ClickException("row counts differ from the backup's manifest")


@hub_cli.command("opendata-export")
def opendata_export_cmd():
    """Write the open-data files (LMN, data·inclusion, catalogue) and their manifest under FILES_DIR/opendata."""
    manifest = generate_exports()
    commit()
    for name, entry in manifest["files"].items():
        click.echo(f"{name}: {entry['rows']} rows" + (f", {entry['left_out']} left out" if entry["left_out"] else ""))


@hub_cli.command("opendata-import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--staff", "staff_email", required=True, help="The hub staff account that imports (for the record).")
def opendata_import_cmd(path: str, staff_email: str):
    """Import a national file (LMN CSV/JSON, data·inclusion JSON/JSONL) as proposed merges and invitations."""
    actor = get_user_by_email(staff_email)
    if actor is None or not actor.is_staff:
        raise click.ClickException(f"{staff_email}: no such hub staff account")
    try:
        batch = import_file(actor, Path(path).name, Path(path).read_bytes())
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    commit()
    click.echo(", ".join(f"{outcome}: {n}" for outcome, n in batch.counts.items()))
    for row in batch.report:
        if row["outcome"] == "rejected":
            click.echo(f"  line {row['line']}: {row['reason']}", err=True)


# Periodic jobs, declared as data: (stable id, period, the command that does the work).
# "frequent" is every 5 minutes (the scheduler service of docker-compose, or cron).
PERIODIC_JOBS = (
    ("mail-delivery", "frequent", "send-mail"),
    ("charter-consultations", "frequent", "charter-consultations"),
    ("proposals-sweep", "hourly", "sweep"),
    ("observatory-coverage", "hourly", "coverage"),
    ("vouchers-expiry", "daily", "vouchers-expiry"),
    ("observatory-funder-reports", "daily", "funder-reports"),
    ("stripe-reconcile", "daily", "reconcile"),
    ("charter-labels-expiry", "daily", "labels-expiry"),
    ("opendata-export", "daily", "opendata-export"),
    ("privacy-retention", "daily", "retention"),
)


@hub_cli.command("periodic")
@click.argument("period", type=click.Choice(["frequent", "hourly", "daily"]))
@click.pass_context
def periodic_cmd(ctx, period: str):
    """Run the periodic jobs of PERIOD (cron, or the `scheduler` service of docker-compose)."""
    failed = []
    for job_id, job_period, command in PERIODIC_JOBS:
        if job_period != period:
            continue
        click.echo(f"[{job_id}]")
        try:
            ctx.invoke(hub_cli.commands[command])
        except click.ClickException as error:  # one failing job does not stop the others
            db.session.rollback()
            failed.append(job_id)
            click.echo(f"[{job_id}] failed: {error.message}", err=True)
    if failed:
        raise click.ClickException(f"failed: {', '.join(failed)}")
