"""Funders, programmes, eligibility, staff approval, and who sees what."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.core.errors import Conflict, Forbidden, ServiceError
from app.models import Voucher, VoucherProgramme
from app.vouchers import services
from app.vouchers.models import Funder, FunderMember, ProgrammeSettings, RequestStatus
from tests.conftest import login, page_text, post_form
from tests.vouchers.vouchers_helpers import fund, funded_programme, make_funder, make_programme, next_siret


def test_staff_create_a_funder_and_attach_an_account(client, db_session, factory):
    staff = factory.staff()
    person = factory.user(name="Agent CAF")
    login(client, staff)
    page = client.get("/moderation/financeurs")
    assert page.status_code == 200
    answer = post_form(
        client,
        "/moderation/financeurs",
        {
            "name": "CAF du Var",
            "kind": "caf",
            "dep_code": "83",
            "contact_email": "cheques@caf83.example.fr",
            "member_email": person.email,
        },
    )
    assert answer.status_code == 302
    funder = db_session.scalar(select(Funder).where(Funder.name == "CAF du Var"))
    assert funder.kind == "caf" and funder.dep_code == "83"
    assert [m.user_id for m in funder.members] == [person.id]
    # An unknown address is refused on the form, and nothing is created.
    answer = post_form(
        client,
        "/moderation/financeurs",
        {"name": "Fondation X", "kind": "fondation", "member_email": "personne@nulle-part.fr"},
    )
    assert answer.status_code == 422 and "doit d'abord s'inscrire" in page_text(answer)
    assert db_session.scalar(select(func.count()).select_from(Funder).where(Funder.name == "Fondation X")) == 0
    # Attach a second account; twice is refused.
    other = factory.user()
    assert post_form(client, f"/moderation/financeurs/{funder.id}/membres", {"email": other.email}).status_code == 302
    post_form(client, f"/moderation/financeurs/{funder.id}/membres", {"email": other.email})
    assert (
        db_session.scalar(select(func.count()).select_from(FunderMember).where(FunderMember.funder_id == funder.id))
        == 2
    )
    assert "déjà membre" in page_text(client.get("/moderation/financeurs"))
    # The new member reaches the funder space.
    login(client, person)
    assert client.get("/financeur/").status_code == 200


def test_cli_create_funder(app, db_session, factory):
    person = factory.user()
    result = app.test_cli_runner().invoke(
        args=["hub", "create-funder", "Ville de Toulon", "--kind", "commune", "--dep", "83", "--email", person.email]
    )
    assert result.exit_code == 0, result.output
    funder = db_session.scalar(select(Funder).where(Funder.name == "Ville de Toulon"))
    assert funder is not None and [m.user_id for m in funder.members] == [person.id]
    result = app.test_cli_runner().invoke(args=["hub", "create-funder", "X", "--email", "inconnu@exemple.fr"])
    assert result.exit_code != 0 and "s'inscrire" in result.output


def test_funder_creates_a_programme_through_the_form(client, db_session, funder_setup):
    funder, member = funder_setup
    login(client, member)
    assert client.get("/financeur/programmes/nouveau").status_code == 200
    data = {
        "name": "Chèques Var numérique",
        "description": "Pour les associations du Var.",
        "face_value": "30",
        "voucher_count": "20",
        "validity_days": "365",
        "organisation_kinds": ["association", "artisan"],
        "departements": ["83"],
        "communes": "13055",
        "max_per_organisation": "2",
        "require_siret": "y",
        "requires_approval": "y",
    }
    answer = post_form(client, "/financeur/programmes/nouveau", data)
    assert answer.status_code == 302
    programme = db_session.scalar(select(VoucherProgramme).where(VoucherProgramme.name == "Chèques Var numérique"))
    assert answer.headers["Location"].endswith(f"/financeur/programmes/{programme.id}/paiement")
    assert (programme.face_value_cents, programme.voucher_count, programme.budget_cents) == (3_000, 20, 60_000)
    assert programme.status == "draft" and programme.funder_id == funder.id
    assert programme.eligibility == {
        "organisation_kinds": ["association", "artisan"],
        "departements": ["83"],
        "communes": ["13055"],
        "max_per_organisation": 2,
        "require_siret": True,
    }
    assert db_session.get(ProgrammeSettings, programme.id).requires_approval is True
    # Refusals are shown on the form, and nothing is saved.
    for bad, message in (
        ({"voucher_count": "", "budget": ""}, "nombre de chèques ou le budget"),
        ({"voucher_count": "3", "budget": "100"}, "égal au nombre de chèques"),
        ({"communes": "99999"}, "Codes INSEE inconnus"),
        ({"valid_until": "2001-01-01"}, "dans le futur"),
    ):
        answer = post_form(client, "/financeur/programmes/nouveau", data | {"name": "Refusé"} | bad)
        assert answer.status_code == 422 and message in page_text(answer), message
    assert (
        db_session.scalar(select(func.count()).select_from(VoucherProgramme).where(VoucherProgramme.name == "Refusé"))
        == 0
    )


def test_a_programme_is_not_usable_before_its_payment(db_session, funder_setup, org, org_user):
    funder, member = funder_setup
    programme = make_programme(funder, member)
    with pytest.raises(ServiceError, match="pas encore financé"):
        services.request_voucher(org_user, programme, org)
    payment, info = fund(programme, member, payment_method="pm_card_declined")
    assert info.failed and payment.status == "failed" and programme.status == "awaiting_payment"
    with pytest.raises(ServiceError, match="pas encore financé"):
        services.request_voucher(org_user, programme, org)
    fund(programme, member)
    assert programme.status == "funded"
    assert services.request_voucher(org_user, programme, org).status == "issued"


@pytest.mark.parametrize(
    "rules,org_values,reason",
    [
        ({"organisation_kinds": ["artisan"]}, {}, "ne s'adresse pas à ce type de structure"),
        ({"departements": ["83"]}, {}, "commune n'est pas couverte"),
        ({"communes": ["84007"]}, {}, "commune n'est pas couverte"),
        ({}, {"siret": None}, "SIRET valide"),
    ],
)
def test_eligibility_refusals(db_session, factory, org_user, rules, org_values, reason):
    programme = funded_programme(factory, **rules)
    org = factory.organisation(owner=org_user, **({"siret": next_siret()} | org_values))  # Marseille, 13
    assert any(reason in p for p in services.eligibility_problems(programme, org))
    with pytest.raises(ServiceError, match=reason):
        services.request_voucher(org_user, programme, org)
    assert db_session.scalar(select(func.count()).select_from(Voucher).where(Voucher.programme_id == programme.id)) == 0


def test_eligible_by_commune_or_departement_and_at_most_n_per_organisation(db_session, factory, org_user, org):
    programme = funded_programme(factory, departements=["83"], communes=["13055"], max_per_organisation=2)
    first = services.request_voucher(org_user, programme, org)
    second = services.request_voucher(org_user, programme, org)
    assert first.holder_siret == org.siret and first.code != second.code
    with pytest.raises(ServiceError, match="limite à 2 chèque"):
        services.request_voucher(org_user, programme, org)


def test_only_members_of_the_organisation_request_for_it(db_session, factory, org):
    programme = funded_programme(factory)
    with pytest.raises(Forbidden):
        services.request_voucher(factory.user(), programme, org)


def test_request_through_the_page(client, db_session, factory, org_user, org):
    programme = funded_programme(factory, name="Pass Région Sud")
    login(client, org_user)
    page = page_text(client.get("/cheques/"))
    assert "Pass Région Sud" in page and f"Demander un chèque pour {org.name}" in page
    answer = post_form(client, f"/cheques/programmes/{programme.id}/demande", {"organisation_id": str(org.id)})
    voucher = db_session.scalar(select(Voucher).where(Voucher.programme_id == programme.id))
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/cheques/{voucher.id}")
    assert voucher.organisation_id == org.id and voucher.status == "issued"
    # An organisation the user is not a member of is not a valid choice.
    other = factory.organisation(name="Autre association", siret=next_siret())
    answer = post_form(client, f"/cheques/programmes/{programme.id}/demande", {"organisation_id": str(other.id)})
    assert answer.status_code == 302
    assert db_session.scalar(select(func.count()).select_from(Voucher).where(Voucher.organisation_id == other.id)) == 0


def test_staff_approval_step(client, db_session, factory, org_user, org):
    programme = funded_programme(factory, requires_approval=True)
    request = services.request_voucher(org_user, programme, org)
    assert request.status == RequestStatus.PENDING
    assert db_session.scalar(select(func.count()).select_from(Voucher).where(Voucher.programme_id == programme.id)) == 0
    with pytest.raises(Conflict):
        services.request_voucher(org_user, programme, org)  # one pending request at a time
    with pytest.raises(Forbidden):
        services.decide_request(org_user, request, True)
    staff = factory.staff()
    login(client, staff)
    assert org.name in page_text(client.get("/moderation/cheques/demandes"))
    answer = post_form(client, f"/moderation/cheques/demandes/{request.id}", {"decision": "reject", "reason": ""})
    assert answer.status_code == 302
    db_session.expire_all()
    assert request.status == RequestStatus.PENDING  # a refusal needs a reason
    post_form(client, f"/moderation/cheques/demandes/{request.id}", {"decision": "approve"})
    db_session.expire_all()
    assert request.status == RequestStatus.APPROVED and request.voucher_id is not None
    voucher = db_session.get(Voucher, request.voucher_id)
    assert voucher.organisation_id == org.id and voucher.status == "issued"
    # A second request, refused with a reason.
    second = services.request_voucher(org_user, programme, org)
    services.decide_request(staff, second, False, "Un chèque par structure cette année.")
    assert second.status == RequestStatus.REJECTED
    login(client, org_user)
    assert "Un chèque par structure cette année." in page_text(client.get("/cheques/"))


def test_funders_see_only_their_programmes(client, db_session, factory):
    funder, member = make_funder(factory)
    mine = funded_programme(factory, funder, member, name="Programme de Marseille")
    theirs = funded_programme(
        factory, *make_funder(factory, name="Fondation du Sud", kind="fondation"), name="Programme de la fondation"
    )
    login(client, member)
    dashboard = page_text(client.get("/financeur/"))
    assert "Programme de Marseille" in dashboard and "Programme de la fondation" not in dashboard
    assert client.get(f"/financeur/programmes/{mine.id}").status_code == 200
    for url in (
        f"/financeur/programmes/{theirs.id}",
        f"/financeur/programmes/{theirs.id}/paiement",
        f"/financeur/programmes/{theirs.id}/paiement/etat",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        post_form(client, f"/financeur/programmes/{theirs.id}/paiement", {"payment_method": "pm_card_visa"}).status_code
        == 404
    )
    # Someone who is no funder gets 403 on the funder space; hub staff see every programme.
    login(client, factory.user())
    assert client.get("/financeur/").status_code == 403
    login(client, factory.staff())
    assert "Programme de la fondation" in page_text(client.get("/financeur/"))


def test_organisations_see_only_their_vouchers(client, db_session, factory, org_user, org):
    programme = funded_programme(factory)
    voucher = services.request_voucher(org_user, programme, org)
    stranger = factory.user()
    factory.organisation(owner=stranger, name="Autre association", siret=next_siret())
    login(client, stranger)
    assert voucher.code not in page_text(client.get("/cheques/"))
    assert client.get(f"/cheques/{voucher.id}").status_code == 404
    assert client.get(f"/cheques/{voucher.id}/cheque.pdf").status_code == 404
    login(client, org_user)
    assert voucher.code in page_text(client.get("/cheques/"))
    assert client.get(f"/cheques/{voucher.id}").status_code == 200
    # A provider's member has no voucher space.
    login(client, factory.provider().memberships[0].user)
    assert client.get("/cheques/").status_code == 403
