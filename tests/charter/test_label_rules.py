"""Assessments, reviews and labels: the state machine and who may do what; the re-assessment invitation;
the expiry job; bad evidence refused in French with nothing saved."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.services import add_membership
from app.charter import assessments as svc
from app.charter import signals
from app.charter.label_demo import label_demo_subjects
from app.charter.models import Answer, AssessmentStatus, CommitteeMember, Label, LabelStatus, SubjectKind
from app.charter.registry import active_label, offer_levels, provider_levels
from app.core.errors import NotFound, ServiceError
from app.core.mail import OutboxEmail
from app.core.models import utcnow
from app.extensions import db
from tests.charter.labels_helpers import answer_all, committee, submitted_provider, tiny_version
from tests.library.library_helpers import PDF, PNG, producer, resource


@pytest.fixture
def v1(db_session, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))
    return tiny_version()


def test_two_validations_grant_a_label_with_its_version_level_and_expiry(factory, v1):
    _owner, provider, assessment = submitted_provider(factory)
    assert assessment.status == AssessmentStatus.SUBMITTED and assessment.level == 5
    first, second = committee(factory), committee(factory, "Deuxième relectrice")
    granted = []

    def listen(label, **_kw):
        granted.append(label.public_id)

    signals.label_granted.connect(listen)
    try:
        assert svc.review(first, assessment, "validate", "") is None
        assert assessment.status == AssessmentStatus.SUBMITTED  # one validation is not enough
        with pytest.raises(ServiceError, match="déjà relu"):
            svc.review(first, assessment, "validate", "")
        label = svc.review(second, assessment, "validate", "Très bien")
    finally:
        signals.label_granted.disconnect(listen)
    assert label is not None and granted == [label.public_id]
    assert label.public_id == f"L-{utcnow().year}-0001"
    assert label.version_id == v1.id and label.level == 5 and label.theme_levels == {"libre": 5, "donnees": 5}
    assert timedelta(days=364) < label.expires_at - label.granted_at <= timedelta(days=366)
    assert assessment.status == AssessmentStatus.VALIDATED
    assert provider_levels([provider.id]) == {provider.id: 5}


def test_no_self_review_nor_a_reviewer_from_the_applicants_structure(factory, v1):
    owner, provider, assessment = submitted_provider(factory)
    colleague = factory.user(intent="provider")
    add_membership(colleague, provider=provider)
    db.session.add(CommitteeMember(user_id=owner.id))
    db.session.add(CommitteeMember(user_id=colleague.id))
    db.session.flush()
    with pytest.raises(ServiceError, match="propre évaluation"):
        svc.review(owner, assessment, "validate", "")
    with pytest.raises(ServiceError, match="propre structure"):
        svc.review(colleague, assessment, "validate", "")
    assert assessment.reviews == [] and assessment.status == AssessmentStatus.SUBMITTED


def test_a_request_for_changes_needs_a_comment_and_sends_it_back(factory, v1):
    owner, _provider, assessment = submitted_provider(factory)
    reviewer = committee(factory)
    with pytest.raises(ServiceError, match="commentaire est obligatoire"):
        svc.review(reviewer, assessment, "changes", "  ")
    svc.review(reviewer, assessment, "changes", "Ajoutez le lien vers vos dépôts.")
    assert assessment.status == AssessmentStatus.CHANGES_REQUESTED
    assert db.session.query(OutboxEmail).filter_by(recipient=owner.email).count() >= 1
    # Back to the applicant: they edit and resubmit; a new round needs two new validations.
    answer_all(owner, assessment, "partly")
    svc.submit(owner, assessment)
    assert assessment.status == AssessmentStatus.SUBMITTED and assessment.level == 2  # 50 %: level 2 (45 % to 60 %)
    assert svc.current_round(assessment) == 2
    assert svc.review(committee(factory, "Troisième"), assessment, "validate", "") is None  # round 2: one so far
    assert svc.review(reviewer, assessment, "validate", "") is not None


def test_only_reviewers_review(factory, v1):
    _owner, _provider, assessment = submitted_provider(factory)
    stranger = factory.user()
    with pytest.raises(ServiceError, match="comité"):
        svc.review(stranger, assessment, "validate", "")
    # A member of a labelled provider is a peer reviewer.
    _o, _p, other = submitted_provider(factory, name="Autre prestataire")
    peer_owner, peer, peer_assessment = submitted_provider(factory, name="Pair labellisé")
    svc.review(committee(factory), peer_assessment, "validate", "")
    svc.review(committee(factory), peer_assessment, "validate", "")
    assert active_label(SubjectKind.PROVIDER, peer.id) is not None
    assert svc.review_refusal(peer_owner, other) is None


def test_a_draft_cannot_be_reviewed_and_a_submitted_one_cannot_change(factory, v1):
    owner = factory.user(intent="provider")
    provider = factory.provider(owner=owner)
    assessment = svc.open_assessment(owner, SubjectKind.PROVIDER, provider.id)
    with pytest.raises(ServiceError, match="Répondez à chaque critère"):
        svc.submit(owner, assessment)
    assert svc.review_refusal(committee(factory), assessment) is not None
    answer_all(owner, assessment)
    svc.submit(owner, assessment)
    with pytest.raises(ServiceError, match="en relecture"):
        answer_all(owner, assessment, "no")


def test_level_zero_cannot_be_submitted(factory, v1):
    owner = factory.user(intent="provider")
    provider = factory.provider(owner=owner)
    assessment = svc.open_assessment(owner, SubjectKind.PROVIDER, provider.id)
    answer_all(owner, assessment, "no")
    with pytest.raises(ServiceError, match="niveau calculé est 0"):
        svc.submit(owner, assessment)


def test_only_members_assess_their_subject(factory, v1):
    provider = factory.provider()
    with pytest.raises(NotFound):
        svc.open_assessment(factory.user(), SubjectKind.PROVIDER, provider.id)


@pytest.mark.parametrize(
    ("url", "file_name", "data"),
    [
        ("javascript:alert(1)", "", None),
        ("pas une adresse", "", None),
        ("ftp://exemple.fr/preuve", "", None),
        ("", "preuve.pdf", b"<html><script>alert(1)</script></html>"),  # HTML named .pdf
        ("", "preuve.pdf", PNG),  # a PNG that says it is a PDF
    ],
)
def test_bad_evidence_is_refused_in_french_and_nothing_is_saved(factory, v1, url, file_name, data):
    owner = factory.user(intent="provider")
    provider = factory.provider(owner=owner)
    assessment = svc.open_assessment(owner, SubjectKind.PROVIDER, provider.id)
    criteria = svc.applicable_criteria(v1, SubjectKind.PROVIDER)
    inputs = {vc.criterion_id: svc.AnswerInput(answer="yes", text="ok") for vc in criteria}
    inputs[criteria[1].criterion_id] = svc.AnswerInput(answer="yes", url=url, file_name=file_name, file_bytes=data)
    errors = svc.save_answers(owner, assessment, inputs)
    assert list(errors) == ["C2"]
    assert "adresse web" in errors["C2"] or "fichier" in errors["C2"].lower()
    assert assessment.answers == []


def test_good_evidence_is_kept(factory, v1, app):
    owner = factory.user(intent="provider")
    provider = factory.provider(owner=owner)
    assessment = svc.open_assessment(owner, SubjectKind.PROVIDER, provider.id)
    cid = svc.applicable_criteria(v1, SubjectKind.PROVIDER)[0].criterion_id
    errors = svc.save_answers(
        owner,
        assessment,
        {cid: svc.AnswerInput(answer="yes", url="https://exemple.fr/depots", file_name="charte.pdf", file_bytes=PDF)},
    )
    assert errors == {}
    (row,) = assessment.answers
    assert row.answer == Answer.YES and row.evidence_url == "https://exemple.fr/depots"
    assert row.evidence_file_type == "application/pdf" and row.evidence_file_name == "charte.pdf"


def _labelled(factory):
    owner, provider, assessment = submitted_provider(factory)
    svc.review(committee(factory), assessment, "validate", "")
    label = svc.review(committee(factory), assessment, "validate", "")
    return owner, provider, label


def test_a_new_version_invites_holders_with_changed_criteria_highlighted(factory, v1):
    owner, provider, label = _labelled(factory)
    v2 = tiny_version(2, changed_wording="Les productions sont publiées sous licence libre, sources comprises.")
    before = db.session.query(OutboxEmail).filter_by(recipient=owner.email).count()
    signals.version_adopted.send(v2)
    mails = db.session.query(OutboxEmail).filter_by(recipient=owner.email).order_by(OutboxEmail.id).all()
    assert len(mails) == before + 1 and "v2" in mails[-1].subject
    assert label.status == LabelStatus.ACTIVE  # stays valid until it expires
    new = svc.open_assessment(owner, SubjectKind.PROVIDER, provider.id)
    assert new.version_id == v2.id and new.id != label.assessment_id
    assert {vc.criterion.ident for vc in v2.criteria if vc.criterion_id in svc.highlighted_criteria(new)} == {"C2"}


def test_expiry_job_warns_once_then_expires(factory, v1):
    _owner, provider, label = _labelled(factory)
    ended = []

    def listen(sender, **_kw):
        ended.append(sender.public_id)

    signals.label_ended.connect(listen)
    try:
        soon = label.expires_at - timedelta(days=20)
        assert svc.run_label_expiry(now=soon) == {"warned": 1, "expired": 0}
        assert label.expiry_warned_at is not None
        assert svc.run_label_expiry(now=soon + timedelta(days=1)) == {"warned": 0, "expired": 0}  # once
        assert svc.run_label_expiry(now=label.expires_at + timedelta(minutes=1)) == {"warned": 0, "expired": 1}
    finally:
        signals.label_ended.disconnect(listen)
    assert label.status == LabelStatus.EXPIRED and ended == [label.public_id]
    assert active_label(SubjectKind.PROVIDER, provider.id) is None
    assert db.session.query(OutboxEmail).filter(OutboxEmail.subject.contains("expire")).count() >= 1
    assert db.session.query(Label).count() == 1


def test_demo_labels_several_providers_at_several_levels_through_the_services(factory, v1):
    applicants = []
    for n in range(4):
        owner = factory.user(intent="provider")
        applicants.append((owner, SubjectKind.PROVIDER, factory.provider(owner=owner, name=f"Démo {n}").id))
    labels = label_demo_subjects(applicants, (factory.staff(), factory.staff()))
    assert len({label.level for label in labels}) >= 3
    assert all(len(label.assessment.reviews) == 2 for label in labels)


def test_the_daily_periodic_command_runs_the_label_expiry(app, factory, v1, monkeypatch):
    _owner, provider, label = _labelled(factory)
    label.expires_at = utcnow() - timedelta(minutes=1)
    db.session.flush()
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")  # reconciliation fails, alone
    result = app.test_cli_runner().invoke(args=["hub", "periodic", "daily"])
    assert "[charter-labels-expiry]" in result.output and "1 expiré(s)" in result.output
    assert label.status == LabelStatus.EXPIRED
    assert active_label(SubjectKind.PROVIDER, provider.id) is None


def test_resources_are_assessed_by_their_producers_members_and_offers_inherit(app, factory, v1):
    member, stranger = factory.user(), factory.user()
    made = resource(member, producer(member))
    assert svc.can_assess(member, SubjectKind.RESOURCE, made.id)
    assert not svc.can_assess(stranger, SubjectKind.RESOURCE, made.id)
    assessment = svc.open_assessment(member, SubjectKind.RESOURCE, made.id)
    answer_all(member, assessment)
    svc.submit(member, assessment)
    svc.review(committee(factory), assessment, "validate", "")
    label = svc.review(committee(factory), assessment, "validate", "")
    assert label is not None and label.subject_kind == SubjectKind.RESOURCE
    assert (SubjectKind.RESOURCE, made.id, made.title) in svc.assessable_subjects(member)
    # An offer not assessed on its own shows its provider's level.
    _owner, provider, provider_label = _labelled(factory)
    offer = factory.offer(provider=provider)
    assert offer_levels([(offer.id, provider.id)]) == {offer.id: provider_label.level}
    # Pages of any domain read a label through one rule (the `charter_label` template global uses it).
    assert svc.label_of(SubjectKind.OFFER, offer.id) is provider_label
    assert svc.label_of(SubjectKind.RESOURCE, made.id) is label
    assert svc.label_of(SubjectKind.PROVIDER, 999999) is None
