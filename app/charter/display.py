"""How a label shows on the pages of other domains (provider, offer, knowledge-base resource, search
results): one template global, `charter_label(kind, subject_id)`, registered by `init_app`. Upper domains
(library, searching) use it without importing the charter; the verification page it links to is the
labels' public page `/charte/labels/<public id>` (a plain path: it does not depend on an endpoint name)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Flask, render_template
from markupsafe import Markup

from app.charter.assessments import label_of
from app.charter.models import Label, SubjectKind

VERIFY_PATH = "/charte/labels/{public_id}"


@dataclass(frozen=True)
class LabelView:
    """What a page shows of a subject's active label. `inherited`: an offer showing its provider's."""

    public_id: str
    level: int
    version: str
    granted_at: datetime
    expires_at: datetime
    inherited: bool

    @property
    def url(self) -> str:
        return VERIFY_PATH.format(public_id=self.public_id)


def label_view(kind: SubjectKind | str, subject_id: int) -> LabelView | None:
    """The active label of a subject; an offer without its own shows its provider's (marked inherited).
    The rule of inheritance is the labels' one (`assessments.label_of`)."""
    kind = SubjectKind(kind)
    label = label_of(kind, int(subject_id))
    if label is None:
        return None
    return _view(label, inherited=(label.subject_kind, label.subject_id) != (kind, int(subject_id)))


def _view(label: Label, inherited: bool) -> LabelView:
    return LabelView(
        public_id=label.public_id,
        level=label.level,
        version=label.version.label,
        granted_at=label.granted_at,
        expires_at=label.expires_at,
        inherited=inherited,
    )


def charter_label(kind: SubjectKind | str, subject_id: int | None) -> Markup:
    """Template global: the label block of a page (empty when the subject holds no active label)."""
    if subject_id is None:
        return Markup("")
    view = label_view(kind, subject_id)
    if view is None:
        return Markup("")
    return Markup(render_template("charter/_effects_label.html", label=view, kind=SubjectKind(kind).value))


def init_app(app: Flask) -> None:
    app.jinja_env.globals["charter_label"] = charter_label
