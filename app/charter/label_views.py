"""Pages of the labels: assessing, reviewing, the public registry, verification pages, badges, open data.
Thin: the rules are in assessments.py and labels.py."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.charter import assessments as svc
from app.charter import labels as reg
from app.charter.models import Answer, Assessment, AssessmentStatus, SubjectKind
from app.charter.registry import active_label
from app.core.access import Access, access
from app.core.errors import NotFound, ServiceError
from app.core.jobs import commit
from app.extensions import db

bp = Blueprint("charter_labels", __name__)

KINDS = {k.value: k for k in (SubjectKind.PROVIDER, SubjectKind.OFFER, SubjectKind.RESOURCE)}
MAX_LEVEL = 5


def _kind(kind: str) -> SubjectKind:
    if kind not in KINDS:
        abort(404)
    return KINDS[kind]


@bp.get("/charte/evaluations")
@access(Access.LOGIN)
def my_assessments():
    subjects = [
        (kind, sid, name, svc.latest_assessment(kind, sid), active_label(kind, sid))
        for kind, sid, name in svc.assessable_subjects(current_user)
    ]
    return render_template(
        "charter/assessment_list.html",
        subjects=subjects,
        to_review=[(a, svc.SUBJECTS[a.subject_kind].name(a.subject_id)) for a in svc.to_review(current_user)],
        names={(k, s): n for k, s, n, _a, _l in subjects},
        svc=svc,
    )


def _inputs(assessment: Assessment) -> dict[int, svc.AnswerInput]:
    inputs = {}
    for vc in svc.applicable_criteria(assessment.version, assessment.subject_kind):
        cid = vc.criterion_id
        upload = request.files.get(f"file-{cid}")
        inputs[cid] = svc.AnswerInput(
            answer=request.form.get(f"answer-{cid}", ""),
            text=request.form.get(f"text-{cid}", ""),
            url=request.form.get(f"url-{cid}", "").strip(),
            file_name=(upload.filename or "") if upload else "",
            file_bytes=upload.read(svc.MAX_EVIDENCE_FILE + 1) if upload and upload.filename else None,
        )
    return inputs


@bp.route("/charte/evaluations/<kind>/<int:subject_id>", methods=["GET", "POST"])
@access(Access.LOGIN)
def assess(kind: str, subject_id: int):
    subject_kind = _kind(kind)
    if not svc.can_assess(current_user, subject_kind, subject_id):
        abort(404)
    name = svc.SUBJECTS[subject_kind].name(subject_id)
    try:
        assessment = svc.open_assessment(current_user, subject_kind, subject_id)
    except NotFound:
        abort(404)
    except ServiceError as error:
        return render_template("charter/assessment_form.html", assessment=None, name=name, closed=error.message)
    errors: dict[str, str] = {}
    general = None
    status = 200
    if request.method == "POST":
        try:
            errors = svc.save_answers(current_user, assessment, _inputs(assessment))
            if errors:
                db.session.rollback()
                assessment = svc.open_assessment(current_user, subject_kind, subject_id)
                status = 400
            elif request.form.get("action") == "submit":
                svc.submit(current_user, assessment)
                commit()
                flash(_("Évaluation envoyée : deux relectures sont nécessaires pour obtenir le label."), "success")
                return redirect(url_for("charter_labels.my_assessments"))
            else:
                commit()
                flash(_("Réponses enregistrées."), "success")
                return redirect(url_for("charter_labels.assess", kind=kind, subject_id=subject_id))
        except ServiceError as error:
            commit()  # the answers are kept; the submission is what was refused
            general, status = error.message, 400
    answers = {a.criterion_id: a for a in assessment.answers}
    return (
        render_template(
            "charter/assessment_form.html",
            assessment=assessment,
            name=name,
            criteria=svc.applicable_criteria(assessment.version, assessment.subject_kind),
            answers=answers,
            submitted=request.form if status == 400 else None,
            errors=errors,
            general=general,
            highlighted=svc.highlighted_criteria(assessment),
            answer_labels=svc.ANSWER_LABELS,
            Answer=Answer,
            editable=assessment.status in (AssessmentStatus.DRAFT, AssessmentStatus.CHANGES_REQUESTED),
            status_label=svc.STATUS_LABELS[assessment.status],
            closed=None,
        ),
        status,
    )


@bp.route("/charte/evaluations/<int:assessment_id>/relecture", methods=["GET", "POST"])
@access(Access.LOGIN)
def review(assessment_id: int):
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None or svc.review_refusal(current_user, assessment) is not None:
        abort(404)
    error = None
    if request.method == "POST":
        try:
            label = svc.review(
                current_user, assessment, request.form.get("decision", ""), request.form.get("comment", "")
            )
        except ServiceError as refusal:
            db.session.rollback()
            assessment = db.session.get(Assessment, assessment_id)
            error = refusal.message
        else:
            commit()
            if label is not None:
                flash(_("Label %(id)s accordé.", id=label.public_id), "success")
            else:
                flash(_("Relecture enregistrée."), "success")
            return redirect(url_for("charter_labels.my_assessments"))
    info = svc.SUBJECTS[assessment.subject_kind]
    return (
        render_template(
            "charter/assessment_review.html",
            assessment=assessment,
            name=info.name(assessment.subject_id),
            kind_label=svc.KIND_LABELS[assessment.subject_kind],
            criteria={vc.criterion_id: vc for vc in assessment.version.criteria},
            answer_labels=svc.ANSWER_LABELS,
            error=error,
            form=request.form if error else {},
        ),
        400 if error else 200,
    )


@bp.get("/charte/evaluations/<int:assessment_id>/preuves/<int:criterion_id>")
@access(Access.LOGIN)
def evidence_file(assessment_id: int, criterion_id: int):
    """An evidence file, for the subject's members and its reviewers; served as a download."""
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None or not svc.can_see_evidence(current_user, assessment):
        abort(404)
    answer = next((a for a in assessment.answers if a.criterion_id == criterion_id), None)
    path = svc.evidence_path(answer) if answer is not None else None
    if answer is None or path is None:
        abort(404)
    return send_file(
        path,
        mimetype=answer.evidence_file_type or "application/octet-stream",
        as_attachment=True,
        download_name=answer.evidence_file_name or path.name,
    )


def _filters() -> tuple[str, str, int | None]:
    territory = request.args.get("departement", "").strip()[:3]
    theme = request.args.get("theme", "").strip()[:40]
    level_arg = request.args.get("niveau", "").strip()
    level = int(level_arg) if level_arg.isdigit() and 1 <= int(level_arg) <= MAX_LEVEL else None
    return territory, theme, level


@bp.get("/charte/labellises")
@access(Access.PUBLIC)
def registry_page():
    territory, theme, level = _filters()
    themes = reg.themes()
    return render_template(
        "charter/labels_registry.html",
        entries=reg.registry(territory, theme, level),
        themes=themes,
        theme_names={t.code: t.name for t in themes},
        territory=territory,
        theme=theme,
        level=level,
        kind_labels=svc.KIND_LABELS,
    )


def _verify_url(public_id: str) -> str:
    return url_for("charter_labels.label_page", public_id=public_id, _external=True)


@bp.get("/charte/labellises.csv")
@access(Access.PUBLIC)
def registry_csv():
    rows = reg.open_data_rows(reg.registry(*_filters()), _verify_url)
    response = Response(reg.to_csv(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=labellises-charte.csv"
    return response


@bp.get("/charte/labellises.json")
@access(Access.PUBLIC)
def registry_json():
    rows = reg.open_data_rows(reg.registry(*_filters()), _verify_url)
    return Response(json.dumps({"labels": rows}, ensure_ascii=False), mimetype="application/json")


def _label_or_404(public_id: str):
    label = reg.label_by_public_id(public_id[:40])
    if label is None:
        abort(404)
    return label


@bp.get("/charte/labels/<public_id>")
@access(Access.PUBLIC)
def label_page(public_id: str):
    label = _label_or_404(public_id)
    entry = reg.entry_for(label)
    names = {t.code: t.name for t in reg.themes()}
    return render_template(
        "charter/labels_verify.html",
        entry=entry,
        label=label,
        valid=reg.is_valid(label),
        theme_names=names,
        kind_label=svc.KIND_LABELS[label.subject_kind],
    )


@bp.get("/charte/labels/<public_id>/badge.svg")
@access(Access.PUBLIC)
def badge(public_id: str):
    label = _label_or_404(public_id)
    response = Response(reg.badge_svg(label), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
