"""What every view shares: one transaction rule, one "load or 404", form errors, safe redirects.

The transaction rule: a view never writes ``try: … commit() … except: rollback()`` by hand. It runs
the service calls inside ``with transaction(form) as tx:``; the block's changes are committed once
when it ends (then the jobs it enqueued are dispatched); a ``ServiceError`` raised inside rolls
everything back and is shown to the user (on the form's field when a form is given, as a flashed
message otherwise), and the code after the block reads ``tx.ok``::

    with transaction(form) as tx:
        resource = services.create_resource(current_user, form.data)
    if tx.ok:
        flash(_("Ressource enregistrée."), "success")
        return redirect(url_for("library.resolve", ident=resource.identifier))
    return render_template(...), 422

Any other exception rolls back and propagates (the error handlers answer it). An action button
(approve, cancel, decide…) that flashes its outcome and goes back uses ``submit_action``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlparse

from flask import abort, flash, redirect
from flask_babel import gettext as _
from sqlalchemy import BigInteger, Integer, Select, inspect, select

from app.core.errors import Conflict, ServiceError
from app.core.inputs import parse_id
from app.core.jobs import commit, rollback
from app.core.states import IllegalTransition
from app.extensions import db

T = TypeVar("T")


class transaction:
    """Commit once at the end of the block; on a ServiceError roll back and show its message.

    `illegal_moves=True`: a state move the entity cannot make (`IllegalTransition`, e.g. a proposal
    answered meanwhile in another tab) is refused the same way, as a Conflict saying "not possible in
    the current state", instead of propagating to the 409 error page."""

    def __init__(self, form: Any = None, *, show: bool = True, illegal_moves: bool = False) -> None:
        self.form = form
        self.show = show
        self.illegal_moves = illegal_moves
        self.ok = False
        self.error: ServiceError | None = None

    def __enter__(self) -> transaction:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                commit()
            except Exception:
                rollback()  # a failed commit leaves nothing half-done in the session
                raise
            self.ok = True
            return False
        if self.illegal_moves and isinstance(exc, IllegalTransition):
            exc = Conflict(_("Cette action n'est pas possible dans l'état actuel."))
        if getattr(exc, "commit", False):
            commit()  # a refusal that must keep what it recorded (e.g. what Stripe answered)
        else:
            rollback()  # with the jobs the block enqueued: they never run
        if isinstance(exc, ServiceError):
            self.error = exc
            if self.show:
                if self.form is not None:
                    flash_form_error(self.form, exc)
                else:
                    flash(str(exc.message), "error")
            return True  # handled: the view reads tx.ok
        return False

    @property
    def status(self) -> int:
        """The HTTP status of the refusal (422 for a form error, the service's own otherwise)."""
        if self.error is None:
            return 200
        return 422 if self.error.status == 400 else self.error.status


def load_or_404(model: type[T], ident: Any, *, where: Callable[[T], bool] | None = None) -> T:
    """The row of `model` with primary key `ident`, or a 404 page (also when `where(row)` is false).

    `ident` that is not a valid key (a string or a number out of range for an integer key…) is a
    404 too, never a 500 (nor a database error: it is checked before the query)."""
    key = inspect(model).primary_key
    if len(key) == 1 and isinstance(key[0].type, Integer) and not isinstance(key[0].type, BigInteger):
        ident = parse_id(ident)  # a positive INTEGER, else None
    try:
        row = db.session.get(model, ident) if ident is not None else None
    except (ValueError, TypeError):
        row = None
    if row is None or (where is not None and not where(row)):
        abort(404)
    return row


def first_or_404(statement: Select) -> Any:
    """The first row of `statement`, or a 404 page."""
    row = db.session.scalars(statement.limit(1)).first()
    if row is None:
        abort(404)
    return row


def by_column_or_404(model: type[T], column: Any, value: Any) -> T:
    """The row of `model` whose `column` equals `value` (a public identifier, a token), or a 404."""
    return first_or_404(select(model).where(column == value))


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative redirects."""
    if target:
        parsed = urlparse(target)
        if not parsed.scheme and not parsed.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return default


def flash_form_error(form, error: ServiceError) -> None:
    """Attach a service refusal to its field (or to the form) so the page shows it."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*list(field.errors), str(error.message)]
    else:
        form.form_errors.append(str(error.message))


def form_status(form) -> int:
    """422 when the page shows a form with errors, 200 otherwise."""
    return 422 if form.errors or form.form_errors else 200


def submit_form(form, action, message, target):
    """The shape every edit page shares: validate the submitted form, call the
    service, commit, say so and redirect; a refusal from the service is shown on
    the form and nothing is saved. Returns a redirect, or None to re-render.

    `message` and `target` may be callables taking what `action` returned."""
    if not form.validate_on_submit():
        return None
    with transaction(form) as tx:
        result = action()
    if not tx.ok:
        return None
    flash(message(result) if callable(message) else message, "success")
    return redirect(target(result) if callable(target) else target)


def submit_action(action, message, back: str, *, illegal_moves: bool = False):
    """The shape every action button shares (approve, decide, cancel…): run `action()` in one
    transaction, flash `message` on success or the service's refusal otherwise, and redirect to
    `back` either way. `message` may be a callable taking what `action` returned.

    `illegal_moves=True`: an illegal state move is refused the same way (see `transaction`)."""
    with transaction(illegal_moves=illegal_moves) as tx:
        result = action()
    if tx.ok:
        flash(message(result) if callable(message) else message, "success")
    return redirect(back)
