"""The labels' pages: the public registry and its filters, open data, the verification page, the SVG badge,
and the assessment and review forms as people use them (bad evidence: French error, nothing saved)."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from app.charter import assessments as svc
from app.charter.models import AssessmentAnswer, AssessmentStatus, Label, LabelStatus, SubjectKind
from app.directory.models import Provider
from app.extensions import db
from tests.charter.labels_helpers import committee, submitted_provider, tiny_version
from tests.conftest import login, page_text, post_form
from tests.library.library_helpers import PDF, PNG

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def v1(db_session, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))
    return tiny_version()


def _label(factory, answer="yes", **values) -> Label:
    _owner, _provider, assessment = submitted_provider(factory, answer=answer, **values)
    svc.review(committee(factory), assessment, "validate", "")
    label = svc.review(committee(factory), assessment, "validate", "")
    assert label is not None
    return label


def test_registry_lists_labels_and_filters_by_territory_theme_and_level(client, factory, v1):
    marseille = _label(factory, name="Libres à Marseille", commune="13055")
    avignon = _label(factory, answer="partly", name="Partiels d'Avignon", commune="84007")
    text = page_text(client.get("/charte/labellises"))
    assert "Libres à Marseille" in text and "Partiels d'Avignon" in text
    assert marseille.public_id in text and "niveau 5" in text and "niveau 2" in text and "C1, C2, C3, C4" in text
    assert "Partiels" not in page_text(client.get("/charte/labellises?departement=13"))
    assert "Marseille" not in page_text(client.get("/charte/labellises?departement=84"))
    assert "Partiels" not in page_text(client.get("/charte/labellises?niveau=4"))
    assert "Partiels" not in page_text(client.get("/charte/labellises?theme=libre&niveau=3"))
    assert "Partiels" in page_text(client.get("/charte/labellises?theme=libre"))
    assert avignon.level == 2


def test_open_data_has_stable_identifiers(client, factory, v1):
    label = _label(factory, name="Libres à Marseille", commune="13055")
    data = json.loads(client.get("/charte/labellises.json").data)
    (row,) = data["labels"]
    assert row["label_id"] == label.public_id and row["subject"] == f"provider:{label.subject_id}"
    assert row["level"] == 5 and row["charter_version"] == "v1" and row["departement"] == "13"
    assert row["criteria_met"] == ["C1", "C2", "C3", "C4"]
    assert row["verification_url"].endswith(f"/charte/labels/{label.public_id}")
    response = client.get("/charte/labellises.csv?niveau=5")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert rows[0]["label_id"] == label.public_id and rows[0]["criteria_met"] == "C1 C2 C3 C4"
    assert json.loads(client.get("/charte/labellises.json?departement=84").data) == {"labels": []}


def test_verification_page_and_badge(client, factory, v1):
    label = _label(factory, name="Libres à Marseille")
    text = page_text(client.get(f"/charte/labels/{label.public_id}"))
    assert "Ce label est valide" in text and "Libres à Marseille" in text and "niveau 5 sur 5" in text
    response = client.get(f"/charte/labels/{label.public_id}/badge.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert "max-age" in response.headers["Cache-Control"]
    root = ET.fromstring(response.data)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title = root.find(f"{SVG}title").text
    texts = " ".join(t.text for t in root.iter(f"{SVG}text"))
    assert label.public_id in title and "niveau 5" in texts and "jusqu'au" in texts
    label.status = LabelStatus.EXPIRED
    db.session.flush()
    root = ET.fromstring(client.get(f"/charte/labels/{label.public_id}/badge.svg").data)
    assert "expiré" in " ".join(t.text for t in root.iter(f"{SVG}text"))
    assert "n'est plus valide" in page_text(client.get(f"/charte/labels/{label.public_id}"))
    assert label.public_id not in page_text(client.get("/charte/labellises"))
    label.status = LabelStatus.ACTIVE
    label.expires_at = label.granted_at - timedelta(days=1)
    db.session.flush()
    assert "expiré" in client.get(f"/charte/labels/{label.public_id}/badge.svg").data.decode()


def _form(criteria, answer="yes", **extra):
    data = {f"answer-{vc.criterion_id}": answer for vc in criteria}
    return data | extra


def test_the_form_refuses_a_bad_url_or_a_lying_file_and_saves_nothing(client, factory, v1):
    owner = factory.user(intent="provider")
    provider = factory.provider(owner=owner)
    login(client, owner)
    url = f"/charte/evaluations/provider/{provider.id}"
    criteria = svc.applicable_criteria(v1, SubjectKind.PROVIDER)
    c2 = criteria[1].criterion_id
    response = post_form(client, url, _form(criteria, **{f"url-{c2}": "pas-une-adresse", "action": "submit"}))
    assert response.status_code == 400
    assert "adresse web complète" in page_text(response)
    lying = (io.BytesIO(PNG), "preuve.pdf")
    response = post_form(
        client,
        url,
        _form(criteria, **{f"file-{c2}": lying, "action": "submit"}),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "ne correspond pas à son extension" in page_text(response)
    assert db.session.query(AssessmentAnswer).count() == 0  # nothing saved
    assert db.session.query(Label).count() == 0


def test_assess_then_two_reviews_through_the_pages(client, factory, v1):
    owner = factory.user(intent="provider")
    provider = factory.provider(owner=owner, name="Libres à Marseille")
    login(client, owner)
    criteria = svc.applicable_criteria(v1, SubjectKind.PROVIDER)
    response = post_form(client, f"/charte/evaluations/provider/{provider.id}", _form(criteria, action="submit"))
    assert response.status_code == 302
    assessment = svc.latest_assessment(SubjectKind.PROVIDER, provider.id)
    assert assessment.status == AssessmentStatus.SUBMITTED
    # The applicant cannot open the review page of their own assessment.
    assert client.get(f"/charte/evaluations/{assessment.id}/relecture").status_code == 404
    for name in ("Relectrice A", "Relecteur B"):
        login(client, committee(factory, name))
        assert "Relire l'évaluation de Libres à Marseille" in page_text(client.get("/charte/evaluations"))
        review_url = f"/charte/evaluations/{assessment.id}/relecture"
        assert post_form(client, review_url, {"decision": "changes", "comment": ""}).status_code == 400
        assert post_form(client, review_url, {"decision": "validate"}).status_code == 302
    assert "Libres à Marseille" in page_text(client.get("/charte/labellises"))


def test_evidence_files_are_for_the_members_and_the_reviewers_only(client, factory, v1):
    owner = factory.user(intent="provider")
    provider = factory.provider(owner=owner)
    login(client, owner)
    criteria = svc.applicable_criteria(v1, SubjectKind.PROVIDER)
    c1 = criteria[0].criterion_id
    data = _form(criteria, **{f"file-{c1}": (io.BytesIO(PDF), "charte.pdf"), "action": "submit"})
    assert (
        post_form(
            client, f"/charte/evaluations/provider/{provider.id}", data, content_type="multipart/form-data"
        ).status_code
        == 302
    )
    assessment = svc.latest_assessment(SubjectKind.PROVIDER, provider.id)
    url = f"/charte/evaluations/{assessment.id}/preuves/{c1}"
    response = client.get(url)
    assert response.status_code == 200 and response.data == PDF and response.mimetype == "application/pdf"
    login(client, committee(factory))
    assert "charte.pdf" in page_text(client.get(f"/charte/evaluations/{assessment.id}/relecture"))
    assert client.get(url).data == PDF
    login(client, factory.user())
    assert client.get(url).status_code == 404


def test_the_reassessment_form_marks_the_criteria_changed_since_the_label(client, factory, v1):
    label = _label(factory, name="Libres à Marseille")
    tiny_version(2, changed_wording="Les productions sont publiées sous licence libre, sources comprises.")
    login(client, db.session.get(Provider, label.subject_id).memberships[0].user)
    page = client.get(f"/charte/evaluations/provider/{label.subject_id}")
    text = page_text(page)
    assert "Version v2 de la charte" in text and "ont changé depuis la version de votre label" in text
    blocks = {b.split('"', 1)[0]: b.split("</legend>", 1)[0] for b in text.split('id="critere-')[1:]}
    assert "sources comprises" in blocks["C2"] and "modifié" in blocks["C2"]
    assert [ident for ident, legend in blocks.items() if "modifié" in legend] == ["C2"]


def test_a_providers_space_leads_to_its_charter_assessment(client, factory, v1):
    owner = factory.user()
    provider = factory.provider(owner=owner)
    login(client, owner)
    space = client.get("/espace").get_data(as_text=True)
    assert 'href="/charte/evaluations"' in space
    page = page_text(client.get("/charte/evaluations"))
    assert f"Évaluer {provider.name}" in page
