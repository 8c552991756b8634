"""A test app writes nothing into the checkout: its secret comes from its own config, not from a
key file created under instance/ (which stays the run directory of `make run`)."""

from __future__ import annotations

import pytest
from flask import Flask

from app import create_app


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """Where create_app's instance folder would be (the checkout's instance/ otherwise); no SECRET_KEY around."""
    folder = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(folder))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return folder


def test_an_app_given_its_secret_writes_nothing_under_its_instance_folder(instance, tmp_path):
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "given-secret", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'hub.db'}"}
    )
    assert app.instance_path == str(instance)
    assert app.config["SECRET_KEY"] == "given-secret"
    assert not instance.exists()


def test_without_a_secret_the_app_keeps_one_under_its_instance_folder(instance):
    """`make run`: no SECRET_KEY anywhere, the default SQLite database under instance/."""
    first = create_app({"TESTING": True})
    key_file = instance / "secret_key"
    assert first.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'hubdusud.sqlite3'}"
    assert key_file.read_text().strip() == first.config["SECRET_KEY"] and len(first.config["SECRET_KEY"]) >= 32
    assert create_app({"TESTING": True}).config["SECRET_KEY"] == first.config["SECRET_KEY"]  # kept across starts
