"""The ``flask library`` commands: collect orphan files, import resources from a CSV file."""

from __future__ import annotations

import click

from app.accounts.services import get_user_by_email
from app.core.web import transaction
from app.extensions import db
from app.library import exports
from app.library.models import Producer
from app.library.services.files import collect_orphan_files
from app.library.views.common import bp


@bp.cli.command("gc-files")
@click.option("--dry-run", is_flag=True, help="List the orphan files without removing them.")
def gc_files(dry_run: bool):
    """Remove stored files that no row refers to (uploads of rolled-back transactions)."""
    orphans = collect_orphan_files()
    for path in orphans:
        click.echo(str(path))
        if not dry_run:
            path.unlink(missing_ok=True)
    click.echo(f"{len(orphans)} orphan file(s){' found' if dry_run else ' removed'}")


@bp.cli.command("import-csv")
@click.argument("producer_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--as-user", "email", required=True, help="E-mail of the member (or staff) who imports.")
@click.option("--publish", is_flag=True)
def import_csv_cmd(producer_id: int, path: str, email: str, publish: bool):
    """Import resources from a CSV file for a producer, and print the report."""
    user = get_user_by_email(email)
    producer = db.session.get(Producer, producer_id)
    if user is None or producer is None:
        raise click.ClickException("unknown user or producer")
    with open(path, "rb") as handle:
        data = handle.read()
    with transaction(show=False) as tx:  # no request: the refusal is the command's error, not a flash
        result = exports.import_csv(user, producer, data, publish=publish)
    if tx.error is not None:
        raise click.ClickException(str(tx.error.message))
    for line, identifier, title in result.created:
        click.echo(f"line {line}: {identifier} {title}")
    for line, reasons in result.rejected:
        click.echo(f"line {line}: REJECTED: {'; '.join(reasons)}")
    for line, why in result.skipped:
        click.echo(f"line {line}: skipped: {why}")
    click.echo(f"{len(result.created)} created, {len(result.rejected)} rejected, {len(result.skipped)} skipped")
