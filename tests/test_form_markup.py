"""Form fields carry only the attributes they mean (issue 12, item 3): no `aria-invalid="None"`,
`aria-describedby="None"` or `required="None"` (a browser reads any `required` as required, so an
optional field rendered that way blocked its form)."""

from __future__ import annotations

import re

from tests.conftest import login, post_form

NONE_ATTRIBUTE = re.compile(r'[\w-]+="None"')


def _input(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    assert match, f"no input named {name}"
    return match.group(0)


def test_public_forms_have_no_none_attribute(client):
    for path in ("/inscription", "/connexion"):
        html = client.get(path).get_data(as_text=True)
        assert "<form" in html, path
        assert NONE_ATTRIBUTE.findall(html) == [], path


def test_optional_fields_are_not_required_and_errors_are_tied_to_their_field(client, factory):
    user = factory.user()
    factory.organisation(owner=user)
    login(client, user)
    html = client.get("/besoins/nouveau").get_data(as_text=True)
    assert NONE_ATTRIBUTE.findall(html) == []
    phone = _input(html, "contact_phone")  # optional
    assert " required" not in phone and "aria-invalid" not in phone
    title = _input(html, "title")  # required
    assert re.search(r"\brequired\b", title)

    # Submitted with an error: the field says so and points at its message.
    r = post_form(client, "/besoins/nouveau", {"title": "", "description": "x"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert NONE_ATTRIBUTE.findall(html) == []
    title = _input(html, "title")
    assert 'aria-invalid="true"' in title and 'aria-describedby="title-erreur"' in title
    assert 'id="title-erreur"' in html
