"""The charter as a versioned text and its cooperative writing: who may do what, the state machines, the
comparison of versions word by word, identifiers never reused, and bad input that saves nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.charter import signals, text
from app.charter.compare import compare, word_diff
from app.charter.models import (
    Amendment,
    AmendmentComment,
    AmendmentStatus,
    AmendmentSupport,
    CharterEvent,
    Consultation,
    ConsultationStatus,
    Criterion,
)
from app.core.errors import Conflict, Forbidden, ServiceError
from app.core.models import utcnow
from app.core.states import IllegalTransition
from tests.charter.charter_text_helpers import charter_text_world
from tests.conftest import login, page_text, post_form


@pytest.fixture
def world(factory):
    return charter_text_world(factory)


def _close(world):
    text.close_consultation(world["committee"], world["consultation"])


def _propose(user, world, **values):
    base = {"kind": "change", "criterion_id": world["criteria"][1].criterion_id, "rationale": "Plus précis."}
    base["wording"] = "Les outils recommandés sont des logiciels libres et maintenus."
    return text.propose_amendment(user, world["consultation"], base | values)


# ---------------------------------------------------------------- services


def test_only_the_committee_opens_closes_decides_and_publishes(factory, world):
    member = factory.user()
    amendment = _propose(member, world)
    with pytest.raises(Forbidden):
        text.close_consultation(member, world["consultation"])
    _close(world)
    for who in (member, factory.user()):
        with pytest.raises(Forbidden):
            text.decide(who, amendment, {"decision": "adopted"})
        with pytest.raises(Forbidden):
            text.publish(who, world["consultation"])
    # hub staff sit on the committee by right
    assert text.is_committee_member(world["staff"]) and text.is_committee_member(world["committee"])
    assert not text.is_committee_member(member)


def test_the_committee_decides_only_after_closing(factory, world):
    amendment = _propose(factory.user(), world)
    with pytest.raises(Conflict):
        text.decide(world["committee"], amendment, {"decision": "adopted"})
    with pytest.raises(Conflict):
        text.publish(world["committee"], world["consultation"])
    _close(world)
    # nothing is proposed, supported or withdrawn any more
    with pytest.raises(Conflict):
        _propose(factory.user(), world)
    with pytest.raises(Conflict):
        text.support(factory.user(), amendment)


def test_a_rejection_needs_a_reason_and_adopted_as_modified_a_wording(factory, world):
    amendment = _propose(factory.user(), world)
    _close(world)
    with pytest.raises(ServiceError) as error:
        text.decide(world["committee"], amendment, {"decision": "rejected", "reason": "  "})
    assert error.value.field == "reason"
    with pytest.raises(ServiceError):
        text.decide(world["committee"], amendment, {"decision": "adopted_modified", "wording": ""})
    assert amendment.status == AmendmentStatus.SUBMITTED
    text.decide(world["committee"], amendment, {"decision": "rejected", "reason": "Déjà couvert par C2."})
    assert amendment.status == AmendmentStatus.REJECTED and amendment.decision_reason == "Déjà couvert par C2."


def test_publishing_merges_adopted_amendments_and_the_version_is_then_frozen(factory, world, db_session):
    author = factory.user()
    change = _propose(author, world)
    modified = _propose(
        author,
        world,
        kind="add",
        criterion_id=None,
        theme_id=world["themes"]["donnees"].id,
        wording="Les données sont hébergées en Europe.",
        rationale="Souveraineté.",
    )
    removal = _propose(author, world, kind="remove", criterion_id=world["criteria"][3].criterion_id)
    rejected = _propose(author, world, wording="Autre texte.", rationale="Autre raison.")
    _close(world)
    committee = world["committee"]
    text.decide(committee, change, {"decision": "adopted"})
    text.decide(
        committee, modified, {"decision": "adopted_modified", "wording": "Les données sont hébergées dans l'UE."}
    )
    text.decide(committee, removal, {"decision": "adopted"})
    with pytest.raises(Conflict):  # one amendment still waits for its decision
        text.publish(committee, world["consultation"])
    text.decide(committee, rejected, {"decision": "rejected", "reason": "Moins clair."})

    received = []

    def heard(version):
        received.append(version)

    signals.version_adopted.connect(heard, weak=False)
    try:
        v2 = text.publish(committee, world["consultation"])
    finally:
        signals.version_adopted.disconnect(heard)
    assert received == [v2] and v2.number == 2 and text.current_version() == v2
    by_ident = {vc.criterion.ident: vc.wording for vc in v2.criteria}
    # C1 changed, C2 kept, C3 removed, the new one is C4 with the committee's wording
    assert by_ident == {
        "C1": "Les outils recommandés sont des logiciels libres et maintenus.",
        "C2": "Les supports sont publiés sous licence libre.",
        "C4": "Les données sont hébergées dans l'UE.",
    }
    assert world["consultation"].status == ConsultationStatus.PUBLISHED
    assert {a.id for a in text.merged_amendments(v2)} == {change.id, modified.id, removal.id}
    # adopted: immutable
    with pytest.raises(Conflict):
        text.edit_criterion(committee, v2.criteria[0], {"wording": "Changé en douce."})
    with pytest.raises(Conflict):
        text.add_criterion(v2, world["themes"]["libre"], {"wording": "Encore un."})
    with pytest.raises(IllegalTransition):
        text.adopt_version(committee, v2)
    with pytest.raises(Conflict):  # the consultation is done
        text.publish(committee, world["consultation"])
    actions = set(db_session.scalars(select(CharterEvent.action)))
    assert {
        "proposed",
        "closed",
        "adopted",
        "adopted_modified",
        "rejected",
        "published",
        "criterion_created",
    } <= actions


def test_identifiers_are_never_reused_after_a_removal(factory, world, db_session):
    author = factory.user()
    removal = _propose(author, world, kind="remove", criterion_id=world["criteria"][3].criterion_id)
    _close(world)
    text.decide(world["committee"], removal, {"decision": "adopted"})
    v2 = text.publish(world["committee"], world["consultation"])
    # a new consultation on v2 adds a criterion: it is C4, never C3 again
    now = utcnow()
    second = text.open_consultation(
        world["committee"],
        {"title": "Suite", "opens_at": now - timedelta(hours=1), "closes_at": now + timedelta(days=3)},
    )
    add = text.propose_amendment(
        author,
        second,
        {
            "kind": "add",
            "theme_id": world["themes"]["donnees"].id,
            "wording": "Un nouveau critère.",
            "rationale": "Utile.",
        },
    )
    # the removed criterion cannot be amended any more: it is not in the base version
    with pytest.raises(ServiceError) as error:
        text.propose_amendment(
            author,
            second,
            {"kind": "change", "criterion_id": world["criteria"][3].criterion_id, "wording": "x", "rationale": "y"},
        )
    assert error.value.field == "criterion_id"
    text.close_consultation(world["committee"], second)
    text.decide(world["committee"], add, {"decision": "adopted"})
    v3 = text.publish(world["committee"], second)
    assert sorted(vc.criterion.ident for vc in v3.criteria) == ["C1", "C2", "C4"]
    assert db_session.scalar(select(func.count(Criterion.id))) == 4
    assert v2.number == 2 and v3.number == 3


def test_one_support_per_account_withdrawable_and_not_for_the_author(factory, world, db_session):
    author, fan = factory.user(), factory.user()
    amendment = _propose(author, world)
    assert text.support(fan, amendment) is not None
    assert text.support(fan, amendment) is None  # a double click: still one support
    db_session.expire(amendment)
    assert len(amendment.supports) == 1
    with pytest.raises(Conflict):
        text.support(author, amendment)
    assert text.unsupport(fan, amendment) is True
    assert db_session.scalar(select(func.count(AmendmentSupport.id))) == 0
    assert text.unsupport(fan, amendment) is False


def test_only_the_author_withdraws_and_only_while_open(factory, world):
    author = factory.user()
    amendment = _propose(author, world)
    with pytest.raises(Forbidden):
        text.withdraw_amendment(factory.user(), amendment)
    text.withdraw_amendment(author, amendment)
    assert amendment.status == AmendmentStatus.WITHDRAWN
    with pytest.raises(IllegalTransition):
        text.withdraw_amendment(author, amendment)
    other = _propose(author, world)
    _close(world)
    with pytest.raises(Conflict):
        text.withdraw_amendment(author, other)
    with pytest.raises(IllegalTransition):  # a withdrawn amendment is not decided
        text.decide(world["committee"], amendment, {"decision": "adopted"})


def test_consultation_status_follows_its_dates(factory):
    world = charter_text_world(factory, open_now=False)
    consultation = world["consultation"]
    assert consultation.status == ConsultationStatus.SCHEDULED
    with pytest.raises(Conflict):  # not open yet
        _propose(factory.user(), world)
    later = utcnow() + timedelta(days=3)
    assert text.effective_status(consultation, later) == ConsultationStatus.OPEN
    assert text.advance_consultations(later) == 1 and consultation.status == ConsultationStatus.OPEN
    assert text.advance_consultations(utcnow() + timedelta(days=30)) == 1
    assert consultation.status == ConsultationStatus.CLOSED
    with pytest.raises(IllegalTransition):
        text.CONSULTATION_MOVES.check(ConsultationStatus.CLOSED, ConsultationStatus.OPEN)


def test_a_consultation_closes_after_it_opens(factory, world):
    now = utcnow()
    with pytest.raises(ServiceError) as error:
        text.open_consultation(world["committee"], {"title": "Mauvaises dates", "opens_at": now, "closes_at": now})
    assert error.value.field == "closes_at"


def test_word_level_comparison_on_real_changes(factory, world):
    old, new = word_diff("Les outils recommandés sont libres.", "Les outils conseillés sont libres et maintenus.")
    assert "<del>" in old and "recommandés" in old and "<ins>" in new and "conseillés" in new
    assert "maintenus." in new and "Les outils" in str(new).split("<ins>")[0]
    assert "[supprimé :]" in old and "[ajouté :]" in new  # not colour alone: screen readers hear it
    assert "<script>" not in word_diff("a", "<script>")[1]  # escaped

    author = factory.user()
    change = _propose(author, world)
    removal = _propose(author, world, kind="remove", criterion_id=world["criteria"][2].criterion_id)
    add = _propose(
        author,
        world,
        kind="add",
        criterion_id=None,
        theme_id=world["themes"]["libre"].id,
        wording="Le code est publié.",
        rationale="Transparence.",
    )
    _close(world)
    for amendment in (change, removal, add):
        text.decide(world["committee"], amendment, {"decision": "adopted"})
    v2 = text.publish(world["committee"], world["consultation"])
    result = compare(world["version"], v2)
    assert [vc.criterion.ident for vc in result.added] == ["C4"]
    assert [vc.criterion.ident for vc in result.removed] == ["C2"]
    assert [c.new.criterion.ident for c in result.changed] == ["C1"] and result.unchanged == 1
    assert "et maintenus" in result.changed[0].wording[1] and "<ins>" in result.changed[0].wording[1]


# ---------------------------------------------------------------- bad input saves nothing


@pytest.mark.parametrize(
    "values, field",
    [
        ({"kind": "add", "wording": "  ", "rationale": "Pourquoi pas."}, "wording"),
        ({"kind": "change", "wording": "Nouveau texte.", "rationale": "   "}, "rationale"),
        ({"kind": "change", "criterion_id": 999999, "wording": "Texte.", "rationale": "Raison."}, "criterion_id"),
        ({"kind": "remove", "criterion_id": "abc", "rationale": "Raison."}, "criterion_id"),
        ({"kind": "add", "wording": "Texte.", "rationale": "Raison."}, "theme_id"),
        ({"kind": "autre", "rationale": "Raison."}, "kind"),
    ],
)
def test_bad_amendments_are_refused_and_save_nothing(factory, world, db_session, values, field):
    if values.get("kind") == "change" and "criterion_id" not in values:
        values = values | {"criterion_id": world["criteria"][1].criterion_id}
    with pytest.raises(ServiceError) as error:
        text.propose_amendment(factory.user(), world["consultation"], values)
    assert error.value.field == field
    assert db_session.scalar(select(func.count(Amendment.id))) == 0


def test_an_empty_amendment_through_the_form_shows_a_french_error(client, factory, world, db_session):
    login(client, factory.user())
    url = f"/charte/consultations/{world['consultation'].id}/amendements/nouveau"
    response = post_form(client, url, {"kind": "add", "wording": "", "rationale": ""})
    assert response.status_code == 422
    body = page_text(response)
    assert "Expliquez pourquoi vous proposez cet amendement." in body
    assert db_session.scalar(select(func.count(Amendment.id))) == 0
    response = post_form(
        client, url, {"kind": "add", "theme_id": str(world["themes"]["libre"].id), "wording": " ", "rationale": "Oui."}
    )
    assert response.status_code == 422 and "Écrivez le texte du critère proposé." in page_text(response)
    assert db_session.scalar(select(func.count(Amendment.id))) == 0


def test_bad_consultation_dates_through_the_form(client, world, db_session):
    login(client, world["committee"])
    before = db_session.scalar(select(func.count(Consultation.id)))
    response = post_form(
        client,
        "/charte/consultations/nouvelle",
        {"title": "Dates à l'envers", "opens_at": "2027-01-10T09:00", "closes_at": "2027-01-01T09:00"},
    )
    assert response.status_code == 422 and "La clôture doit venir après l'ouverture." in page_text(response)
    response = post_form(client, "/charte/consultations/nouvelle", {"title": "x", "opens_at": "demain"})
    assert response.status_code == 422
    assert db_session.scalar(select(func.count(Consultation.id))) == before


# ---------------------------------------------------------------- pages


def test_public_pages_show_the_text_versions_comparison_and_history(client, factory, world):
    body = page_text(client.get("/charte"))
    assert "C1" in body and "Les outils recommandés sont des logiciels libres." in body
    assert "La liste des outils." in body and "Données personnelles" in body
    author = factory.user(name="Alice Autrice")
    change = _propose(author, world)
    _close(world)
    text.decide(world["committee"], change, {"decision": "adopted"})
    text.publish(world["committee"], world["consultation"])
    factory.session.flush()
    versions = page_text(client.get("/charte/versions"))
    assert "Version v2" in versions and "Version v1" in versions and f"Amendement n° {change.id}" in versions
    compared = client.get("/charte/comparer?de=1&a=2").get_data(as_text=True)
    assert "<ins>" in compared and "maintenus" in compared and "Critères modifiés" in compared
    assert client.get("/charte/comparer?de=1&a=9").status_code == 404
    assert client.get("/charte/versions/9").status_code == 404
    history = page_text(client.get("/charte/historique"))
    assert "Alice Autrice" in history and "amendement déposé" in history and "nouvelle version publiée" in history


def test_members_support_once_and_the_committee_page(client, factory, world, db_session):
    author, fan = factory.user(), factory.user()
    amendment = _propose(author, world)
    factory.session.flush()
    login(client, fan)
    url = f"/charte/amendements/{amendment.id}"
    post_form(client, f"{url}/soutenir")
    post_form(client, f"{url}/soutenir")  # a double click
    assert db_session.scalar(select(func.count(AmendmentSupport.id))) == 1
    assert "Retirer mon soutien" in page_text(client.get(url))
    # a member cannot decide; staff manage the committee
    assert post_form(client, f"{url}/decision", {"decision": "adopted"}).status_code == 403
    assert client.get("/moderation/comite-charte").status_code == 403
    login(client, world["staff"])
    page = page_text(client.get("/moderation/comite-charte"))
    assert "Nadia Comité" in page
    response = post_form(client, "/moderation/comite-charte", {"email": "personne@exemple.fr"})
    assert response.status_code == 422 and "Aucun compte n'a cette adresse e-mail." in page_text(response)


def test_the_periodic_job_opens_a_consultation_when_its_date_comes(app, factory, db_session):
    from app.cli import PERIODIC_JOBS

    world = charter_text_world(factory, open_now=False)
    consultation = world["consultation"]
    consultation.opens_at = utcnow() - timedelta(minutes=5)  # its opening time has come
    db_session.flush()
    assert ("charter-consultations", "frequent", "charter-consultations") in PERIODIC_JOBS
    result = app.test_cli_runner().invoke(args=["hub", "charter-consultations"])
    assert result.exit_code == 0 and "1 consultation(s) moved" in result.output, result.output
    db_session.refresh(consultation)
    assert consultation.status == ConsultationStatus.OPEN
    assert (
        db_session.scalar(
            select(func.count(CharterEvent.id)).where(
                CharterEvent.entity_kind == "consultation", CharterEvent.action == "open"
            )
        )
        == 1
    )


def test_pages_in_english_keep_the_charter_text_in_french(client, factory, world):
    amendment = _propose(factory.user(), world)
    text.comment(factory.user(), amendment, "Bonne idée, à préciser.")
    factory.session.flush()
    with client.session_transaction() as session:
        session["lang"] = "en"
    body = client.get("/charte").get_data(as_text=True)
    assert "Expected evidence" in body and 'lang="fr"' in body
    page = page_text(client.get(f"/charte/amendements/{amendment.id}"))
    assert "Rationale" in page and "Bonne idée, à préciser." in page and "Sign in to support or comment." in page
    for url in ("/charte/versions", "/charte/comparer?de=1&a=1", "/charte/historique", "/charte/consultations"):
        assert client.get(url).status_code == 200, url


def test_comment_and_withdraw_through_the_pages(client, factory, world, db_session):
    author = factory.user()
    amendment = _propose(author, world)
    factory.session.flush()
    url = f"/charte/amendements/{amendment.id}"
    login(client, factory.user())
    post_form(client, f"{url}/commentaires", {"body": "   "})
    assert db_session.scalar(select(func.count(AmendmentComment.id))) == 0
    post_form(client, f"{url}/commentaires", {"body": "Je soutiens l'idée."})
    assert "Je soutiens l'idée." in page_text(client.get(url))
    post_form(client, f"{url}/retirer")  # not the author: refused
    db_session.refresh(amendment)
    assert amendment.status == AmendmentStatus.SUBMITTED
    login(client, author)
    post_form(client, f"{url}/retirer")
    db_session.refresh(amendment)
    assert amendment.status == AmendmentStatus.WITHDRAWN


def test_a_committee_member_finds_the_consultations_in_their_space(client, factory, world):
    login(client, world["committee"])
    assert "Suivre les consultations sur la charte" in page_text(client.get("/espace"))
    login(client, factory.user())
    assert "Suivre les consultations sur la charte" not in page_text(client.get("/espace"))
