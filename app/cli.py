"""`flask hub ...` commands."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.core.errors import ServiceError
from app.core.jobs import commit
from app.extensions import db

hub_cli = AppGroup("hub", help="Hub du Sud administration.")


@hub_cli.command("create-admin")
@click.argument("email")
@click.option("--password", envvar="HUB_ADMIN_PASSWORD", help="Password (prompted when the account is new).")
@click.option("--name", default="Administrateur", show_default=True)
def create_admin(email: str, password: str | None, name: str):
    """Create, or promote, a hub staff admin."""
    from app.accounts.services import get_user_by_email, make_admin
    if password is None and get_user_by_email(email) is None:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    try:
        user, created = make_admin(email, password, full_name=name)
        commit()
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message))
    click.echo(f"{'created' if created else 'promoted'}: {user.email} (staff, admin)")


@hub_cli.command("load-communes")
@click.option("--file", "path", default=None, help="Defaults to data/communes.csv.gz")
def load_communes_cmd(path: str | None):
    """Load (or reload) every French commune from the reference file."""
    from app.territory.services import load_communes
    count = load_communes(path or current_app.config["COMMUNES_FILE"])
    commit()
    click.echo(f"{count} communes loaded")


@hub_cli.command("demo")
@click.option("--password", default=None, help="Password of the demo accounts (see README).")
@click.option("--force", is_flag=True, help="Load even if the database already has users.")
def demo_cmd(password: str | None, force: bool):
    """Load the Région Sud demo data."""
    from app.demo import DEMO_PASSWORD, database_is_empty, load_demo
    if not force and not database_is_empty():
        raise click.ClickException("the database already has data; use --force to add the demo anyway")
    try:
        summary = load_demo(password or DEMO_PASSWORD)
        commit()
    except (RuntimeError, ServiceError) as error:
        db.session.rollback()
        raise click.ClickException(str(error))
    click.echo(", ".join(f"{v} {k}" for k, v in summary.items()))


@hub_cli.command("bootstrap")
def bootstrap():
    """Load the communes and the demo data when the database is empty (used by `make run`)."""
    from app.demo import DEMO_PASSWORD, database_is_empty, load_demo
    from app.territory.services import commune_count, load_communes
    if commune_count() == 0:
        click.echo(f"{load_communes(current_app.config['COMMUNES_FILE'])} communes loaded")
        commit()
    if database_is_empty():
        summary = load_demo(DEMO_PASSWORD)
        commit()  # the demo's needs and offers are embedded by the jobs this commit dispatches
        click.echo("demo data: " + ", ".join(f"{v} {k}" for k, v in summary.items()))
    else:
        click.echo("database already has data: demo not loaded")


@hub_cli.command("sweep")
def sweep_cmd():
    """Send reminders and expire unanswered proposals (run it hourly: cron, or an RQ scheduler)."""
    from app.matches.services import sweep
    result = sweep()
    commit()
    click.echo(f"{result['reminded']} rappel(s), {result['expired']} expiration(s)")
