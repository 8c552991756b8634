"""Fixtures of the knowledge-base tests: files go to a temporary FILES_DIR."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def files_dir(app, tmp_path, monkeypatch):
    path = tmp_path / "files"
    monkeypatch.setitem(app.config, "FILES_DIR", str(path))
    return path


@pytest.fixture
def producer_user(factory):
    return factory.user(name="Nadia Productrice", intent="provider")


@pytest.fixture
def prod(producer_user):
    from library_helpers import producer
    return producer(producer_user)
