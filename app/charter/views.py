"""The charter's text and its cooperative writing: public pages (the charter, its versions, comparisons,
history, consultations and amendments), the forms of members and of the committee, and the staff's page of
the committee. Thin views: the rules live in app/charter/text.py."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.charter import text
from app.charter.compare import compare
from app.charter.forms import AmendmentForm, CommentForm, CommitteeForm, ConsultationForm, DecisionForm, PublishForm
from app.charter.models import Amendment, CommitteeMember, Consultation
from app.core.access import Access, access, register_role_check
from app.core.access_log import log_read
from app.core.inputs import parse_id
from app.core.web import form_status, load_or_404, submit_action, submit_form, transaction

bp = Blueprint("charter", __name__)


@bp.record_once
def _setup(state) -> None:
    register_role_check(Access.COMMITTEE, text.is_committee_member)
    state.app.jinja_env.globals.update(
        CHARTER_SUBJECTS=text.SUBJECT_LABELS,
        CHARTER_KINDS=text.KIND_LABELS,
        CHARTER_STATUSES=text.STATUS_LABELS,
        is_committee_member=text.is_committee_member,
    )


def _version_or_404(number):
    number = parse_id(number)
    version = text.version_by_number(number) if number is not None else None
    if version is None:
        abort(404)
    return version


@bp.get("/charte")
@access(Access.PUBLIC)
def charter():
    version = text.current_version()
    return render_template(
        "charter/text_charter.html",
        version=version,
        groups=text.by_theme(version) if version else [],
        consultation=text.active_consultation(),
    )


@bp.get("/charte/versions")
@access(Access.PUBLIC)
def versions():
    rows = [(v, text.merged_amendments(v)) for v in text.adopted_versions()]
    return render_template("charter/text_versions.html", rows=rows)


@bp.get("/charte/versions/<int:number>")
@access(Access.PUBLIC)
def version(number: int):
    version = _version_or_404(number)
    return render_template(
        "charter/text_version.html",
        version=version,
        groups=text.by_theme(version),
        amendments=text.merged_amendments(version),
        current=text.current_version(),
    )


@bp.get("/charte/comparer")
@access(Access.PUBLIC)
def compare_versions():
    versions = text.adopted_versions()
    if not versions:
        abort(404)
    old_n = parse_id(request.args.get("de")) or (versions[1].number if len(versions) > 1 else versions[0].number)
    new_n = parse_id(request.args.get("a")) or versions[0].number
    old, new = text.version_by_number(old_n), text.version_by_number(new_n)
    if old is None or new is None:
        abort(404)
    return render_template("charter/text_compare.html", cmp=compare(old, new), versions=versions)


@bp.get("/charte/historique")
@access(Access.PUBLIC)
def history():
    return render_template("charter/text_history.html", events=text.events())


# ---------------------------------------------------------------- consultations


@bp.get("/charte/consultations")
@access(Access.PUBLIC)
def consultations():
    rows = text.consultations()
    return render_template("charter/text_consultations.html", rows=[(c, text.effective_status(c)) for c in rows])


@bp.route("/charte/consultations/nouvelle", methods=["GET", "POST"])
@access(Access.COMMITTEE)
def consultation_new():
    form = ConsultationForm()
    done = submit_form(
        form,
        lambda: text.open_consultation(current_user, form.values()),
        _("Consultation créée."),
        lambda c: url_for("charter.consultation", consultation_id=c.id),
    )
    if done is not None:
        return done
    return render_template("charter/text_consultation_form.html", form=form, base=text.current_version()), form_status(
        form
    )


@bp.get("/charte/consultations/<int:consultation_id>")
@access(Access.PUBLIC)
def consultation(consultation_id: int):
    consultation = load_or_404(Consultation, consultation_id)
    with transaction():
        status = text.sync(consultation)
    return render_template(
        "charter/text_consultation.html",
        consultation=consultation,
        status=status,
        authors=text.users_by_id(a.author_id for a in consultation.amendments),
        publish_form=PublishForm(),
    )


@bp.post("/charte/consultations/<int:consultation_id>/cloturer")
@access(Access.COMMITTEE)
def consultation_close(consultation_id: int):
    consultation = load_or_404(Consultation, consultation_id)
    back = url_for("charter.consultation", consultation_id=consultation.id)
    return submit_action(
        lambda: text.close_consultation(current_user, consultation),
        _("Consultation close : le comité peut décider des amendements."),
        back,
        illegal_moves=True,
    )


@bp.post("/charte/consultations/<int:consultation_id>/publier")
@access(Access.COMMITTEE)
def consultation_publish(consultation_id: int):
    consultation = load_or_404(Consultation, consultation_id)
    form = PublishForm()
    if not form.validate_on_submit():
        flash(_("Le formulaire a expiré : rechargez la page."), "error")
        return redirect(url_for("charter.consultation", consultation_id=consultation.id)), 400
    with transaction(illegal_moves=True) as tx:
        version = text.publish(current_user, consultation, form.summary.data or "")
    if tx.ok:
        flash(_("Version %(label)s publiée.", label=version.label), "success")
        return redirect(url_for("charter.version", number=version.number))
    return redirect(url_for("charter.consultation", consultation_id=consultation.id))


# ---------------------------------------------------------------- amendments


def _amendment_form(consultation: Consultation) -> AmendmentForm:
    form = AmendmentForm()
    form.criterion_id.choices = [("", _("— choisir —"))] + [
        (str(vc.criterion_id), f"{vc.criterion.ident} — {vc.wording[:90]}")
        for _theme, rows in text.by_theme(consultation.base_version)
        for vc in rows
    ]
    form.theme_id.choices = [("", _("— choisir —"))] + [(str(t.id), t.name) for t in text.themes()]
    if request.method == "GET" and request.args.get("critere"):
        form.kind.data = "change"
        form.criterion_id.data = request.args["critere"]
    return form


@bp.route("/charte/consultations/<int:consultation_id>/amendements/nouveau", methods=["GET", "POST"])
@access(Access.LOGIN)
def amendment_new(consultation_id: int):
    consultation = load_or_404(Consultation, consultation_id)
    form = _amendment_form(consultation)
    done = submit_form(
        form,
        lambda: text.propose_amendment(current_user, consultation, form.data),
        _("Amendement déposé. Merci !"),
        lambda a: url_for("charter.amendment", amendment_id=a.id),
    )
    if done is not None:
        return done
    return render_template(
        "charter/text_amendment_form.html",
        form=form,
        consultation=consultation,
        status=text.effective_status(consultation),
    ), form_status(form)


@bp.get("/charte/amendements/<int:amendment_id>")
@access(Access.PUBLIC)
def amendment(amendment_id: int):
    amendment = load_or_404(Amendment, amendment_id)
    consultation = amendment.consultation
    base = text.base_criteria(consultation).get(amendment.criterion_id) if amendment.criterion_id else None
    people = text.users_by_id(
        [amendment.author_id, amendment.decided_by_id, *(c.author_id for c in amendment.comments)]
    )
    return render_template(
        "charter/text_amendment.html",
        amendment=amendment,
        consultation=consultation,
        status=text.effective_status(consultation),
        base=base,
        people=people,
        supported=text.has_supported(current_user, amendment),
        comment_form=CommentForm(),
        decision_form=DecisionForm(),
    )


def _back(amendment: Amendment) -> str:
    return url_for("charter.amendment", amendment_id=amendment.id)


@bp.post("/charte/amendements/<int:amendment_id>/retirer")
@access(Access.LOGIN)
def amendment_withdraw(amendment_id: int):
    amendment = load_or_404(Amendment, amendment_id)
    return submit_action(
        lambda: text.withdraw_amendment(current_user, amendment),
        _("Amendement retiré."),
        _back(amendment),
        illegal_moves=True,
    )


@bp.post("/charte/amendements/<int:amendment_id>/soutenir")
@access(Access.LOGIN)
def amendment_support(amendment_id: int):
    amendment = load_or_404(Amendment, amendment_id)
    return submit_action(
        lambda: text.support(current_user, amendment), _("Votre soutien est enregistré."), _back(amendment)
    )


@bp.post("/charte/amendements/<int:amendment_id>/retirer-soutien")
@access(Access.LOGIN)
def amendment_unsupport(amendment_id: int):
    amendment = load_or_404(Amendment, amendment_id)
    return submit_action(
        lambda: text.unsupport(current_user, amendment), _("Votre soutien est retiré."), _back(amendment)
    )


@bp.post("/charte/amendements/<int:amendment_id>/commentaires")
@access(Access.LOGIN)
def amendment_comment(amendment_id: int):
    amendment = load_or_404(Amendment, amendment_id)
    form = CommentForm()
    if not form.validate_on_submit():
        flash(form.body.errors[0] if form.body.errors else _("Le formulaire a expiré : rechargez la page."), "error")
        return redirect(_back(amendment))
    return submit_action(
        lambda: text.comment(current_user, amendment, form.body.data), _("Commentaire publié."), _back(amendment)
    )


@bp.post("/charte/amendements/<int:amendment_id>/decision")
@access(Access.COMMITTEE)
def amendment_decide(amendment_id: int):
    amendment = load_or_404(Amendment, amendment_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(
            form.decision.errors[0] if form.decision.errors else _("Le formulaire a expiré : rechargez la page."),
            "error",
        )
        return redirect(_back(amendment))
    return submit_action(
        lambda: text.decide(current_user, amendment, form.data),
        _("Décision enregistrée."),
        _back(amendment),
        illegal_moves=True,
    )


# ---------------------------------------------------------------- the committee (hub staff)


@bp.route("/moderation/comite-charte", methods=["GET", "POST"])
@access(Access.STAFF)
def committee():
    form = CommitteeForm()
    done = submit_form(
        form,
        lambda: text.grant_committee(current_user, form.email.data),
        _("Compte ajouté au comité de la charte."),
        url_for("charter.committee"),
    )
    if done is not None:
        return done
    members = text.committee_members()
    log_read("committee_members", users=[user.id for _member, user in members], detail="charter_committee")
    return render_template("charter/text_committee.html", form=form, members=members), form_status(form)


@bp.post("/moderation/comite-charte/<int:member_id>/retirer")
@access(Access.STAFF)
def committee_remove(member_id: int):
    member = load_or_404(CommitteeMember, member_id)
    return submit_action(
        lambda: text.remove_committee(current_user, member),
        _("Compte retiré du comité de la charte."),
        url_for("charter.committee"),
    )
