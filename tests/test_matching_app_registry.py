"""The app's matching weights and labels derive from the registry of score components."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

import matching
from app.matches.forms import COMPONENT_LABELS, RunForm

PO = Path(__file__).resolve().parent.parent / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def test_one_weight_field_and_one_label_per_component():
    assert tuple(COMPONENT_LABELS) == matching.COMPONENTS
    for component in matching.REGISTRY.values():
        field = getattr(RunForm, f"w_{component.name}")
        assert field.kwargs["default"] == component.default_weight
        assert COMPONENT_LABELS[component.name]._args[0] == component.label


def test_every_component_label_is_translated():
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    for component in matching.REGISTRY.values():
        message = catalog.get(component.label)
        assert message is not None and message.string, component.label
