"""The packaging: the wheel, installed in a fresh venv, starts the full app (scripts/check_wheel.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("TEST_DATABASE") == "postgresql",
    reason="the wheel check does not depend on the database: the SQLite pass runs it",
)
def test_the_wheel_starts_the_full_app():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_wheel.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-6000:]
    assert " ok " in result.stdout
