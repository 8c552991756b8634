"""docker-compose.yml: uploaded files live on one named volume shared by the app containers."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # resolves the `<<: *app` merges


def _named_mounts(service: dict) -> dict[str, str]:
    """target path -> named volume, for the service's named-volume mounts."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, _sep, target = volume.partition(":")
            target = target.split(":")[0]
        else:
            source, target = volume.get("source"), volume.get("target")
        if source and not source.startswith((".", "/", "~")):
            mounts[target] = source
    return mounts


def test_web_worker_and_scheduler_share_files_dir_on_one_named_volume():
    compose = _compose()
    services = compose["services"]
    files_dirs = {name: services[name]["environment"].get("FILES_DIR") for name in ("web", "worker", "scheduler")}
    assert len(set(files_dirs.values())) == 1 and None not in files_dirs.values(), files_dirs
    files_dir = files_dirs["web"]
    volumes = {name: _named_mounts(services[name]).get(files_dir) for name in ("web", "worker", "scheduler")}
    assert volumes["web"] is not None and len(set(volumes.values())) == 1, volumes
    assert volumes["web"] in compose["volumes"]  # declared: a named volume, not an anonymous one


def test_the_image_creates_files_dir_writable_by_its_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    files_dir = _compose()["services"]["web"]["environment"]["FILES_DIR"]
    workdir = next(line.split()[1] for line in dockerfile.splitlines() if line.startswith("WORKDIR"))
    relative = str(Path(files_dir).relative_to(workdir))
    chown = next(line for line in dockerfile.splitlines() if "chown" in line)
    assert "mkdir -p" in chown and relative in chown.split("&&")[1] and relative in chown.split("&&")[2]
    user = next(line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER"))
    assert f"chown {user}" in chown


def test_scheduler_runs_every_declared_period():
    from app.cli import PERIODIC_JOBS

    command = " ".join(_compose()["services"]["scheduler"]["command"])
    for period in {period for _id, period, _cmd in PERIODIC_JOBS}:
        assert f"hub periodic {period}" in command
