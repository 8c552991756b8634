"""Prove the packaging: build the wheel, install it in a fresh venv, start the app from it.

    python scripts/check_wheel.py          # fast: the venv borrows the dependencies of this interpreter
    python scripts/check_wheel.py --full   # the venv installs the wheel's dependencies from the package index

1. copy the tracked files of the package folders to a temporary directory, compile the translations
   there (the .mo files are not in git) and build the wheel from that copy (no stale ``build/``
   directory, no untracked file, nothing written into the checkout);
2. check the wheel holds every tracked file of ``app/``, ``matching/``, ``payments/``, ``search/`` and
   ``migrations/`` (Markdown notes aside) and the compiled catalogues;
3. create a venv with ``python -m venv`` and ``pip install`` the wheel into it. In the fast mode the
   wheel is installed without its dependencies and a ``.pth`` line then makes this interpreter's
   site-packages visible *after* the venv's own: the app's own code comes only from the wheel (a
   plain path in a ``.pth`` file does not run the editable install's hook found there), and step 4
   checks that every distribution the app loaded from there is one the wheel declares (directly or
   not), so an undeclared dependency still fails. ``--full`` installs everything from the index
   (about two minutes on two cores);
4. from a temporary directory outside the checkout, with ``python -I`` (no current directory, no
   PYTHONPATH on ``sys.path``), start ``create_app()`` on a new SQLite database, run the migrations
   the wheel ships (``flask db upgrade``), create a producer and a resource, and check: the same
   blueprints, routes and commands as the checkout's app; pages render (``/``, the knowledge base,
   a resource, its JSON-LD); every static file answers; the English catalogue translates; no module of
   the project was imported from anywhere but the venv.

Exit status 0 when the wheel starts the full app; the reasons otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "matching", "payments", "search", "migrations")
TOP_FILES = ("pyproject.toml", "README.md", "LICENSE")
# Imported by a dependency when present, never required (a try/except ImportError around the import):
# the fast mode's borrowed site-packages may have them without the wheel declaring them.
OPTIONAL = {"pygments": "markdown's code highlighting"}
APP_CONFIG = {
    "SECRET_KEY": "wheel-check",
    "JOBS_MODE": "inprocess",
    "SMTP_URL": "",
    "RATELIMIT_STORAGE_URI": "memory://",
    "MATCHING_EMBEDDINGS": "off",
    "MEILI_URL": "",
}


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"check-wheel: failed: {' '.join(map(str, command))}")
    return result


def _tracked_files() -> list[str]:
    listed = _run(["git", "ls-files", "--", *PACKAGES], cwd=ROOT).stdout.split()
    return sorted(p for p in listed if not p.endswith(".md") and (ROOT / p).exists())


def _catalogues() -> list[str]:
    """The compiled catalogues the wheel must hold: one .mo per tracked .po."""
    return [
        p[: -len(".po")] + ".mo" for p in _tracked_files() if p.startswith("app/translations/") and p.endswith(".po")
    ]


def _commands(group, path: str = "") -> list[str]:
    found = []
    for name, command in sorted(getattr(group, "commands", {}).items()):
        found.append(f"{path}{name}")
        found += _commands(command, f"{path}{name} ")
    return found


def _app_facts(app) -> dict:
    """What the app registers, to compare the wheel's app with the checkout's."""
    return {
        "blueprints": sorted(app.blueprints),
        "routes": sorted(
            f"{r.rule} {r.endpoint} {','.join(sorted(r.methods or ()))}" for r in app.url_map.iter_rules()
        ),
        "commands": _commands(app.cli),
        "static": sorted(
            str(p.relative_to(app.static_folder)) for p in Path(app.static_folder).rglob("*") if p.is_file()
        ),
    }


def expected_facts() -> dict:
    """The checkout's app, started the same way (in this process, from the checkout)."""
    sys.path.insert(0, str(ROOT))
    os.environ["SECRET_KEY"] = APP_CONFIG["SECRET_KEY"]  # else the app writes instance/secret_key in the checkout
    from app import create_app  # deferred: the checkout's app, once the checkout is first on sys.path

    app = create_app(
        {**APP_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )  # only looked at: no database, no instance/
    if not Path(sys.modules["app"].__file__).resolve().is_relative_to(ROOT):
        raise SystemExit(f"check-wheel: the checkout's app was imported from {sys.modules['app'].__file__}")
    return _app_facts(app)


def build_wheel(workdir: Path) -> Path:
    """The wheel of the tracked files, built in a copy (the catalogues compiled there, as `make translations` does)."""
    source = workdir / "source"
    source.mkdir()
    for path in _tracked_files() + list(TOP_FILES):
        target = source / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, target)
    _run([sys.executable, "-m", "babel.messages.frontend", "compile", "-d", str(source / "app" / "translations")])
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(workdir / "dist"), str(source)])
    (wheel,) = (workdir / "dist").glob("*.whl")
    return wheel


def check_wheel_contents(wheel: Path) -> list[str]:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = [p for p in _tracked_files() + _catalogues() if not p.endswith("README.md")]
    return [f"missing from the wheel: {p}" for p in expected if p not in names]


def make_venv(workdir: Path, wheel: Path, full: bool) -> Path:
    """A new venv (no pip of its own: this interpreter's pip installs into it with ``--python``)."""
    venv = workdir / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--disable-pip-version-check"]
    if full:
        _run([*pip, str(wheel)])
        return python
    _run([*pip, "--no-deps", "--no-index", str(wheel)])
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    borrowed = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    (Path(purelib) / "_check_wheel_borrowed_dependencies.pth").write_text("\n".join(borrowed) + "\n")
    return python


# ------------------------------------------------------------------ inside the venv (--smoke)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared_closure() -> set[str]:
    """The distributions the installed wheel requires, directly or not (extras left out)."""
    from packaging.requirements import Requirement  # deferred: only the fast mode needs it (borrowed)

    seen: set[str] = set()
    todo = ["hubdusud"]
    while todo:
        name = _canonical(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def _loaded_outside(prefix: Path) -> tuple[list[str], set[str]]:
    """Project modules loaded from outside the venv; distributions loaded from the borrowed site-packages."""
    stray, borrowed = [], set()
    owners = metadata.packages_distributions()
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not file:
            continue
        path = Path(file).resolve()
        top = name.split(".")[0]
        if top in PACKAGES:
            if not path.is_relative_to(prefix):
                stray.append(f"{name} from {path}")
        elif not path.is_relative_to(prefix) and not path.is_relative_to(stdlib):
            borrowed.update(_canonical(d) for d in owners.get(top, []))
    return stray, borrowed


def smoke(expected: dict, workdir: Path) -> list[str]:
    """Start the app the wheel installed and look at it. Returns the problems found."""
    # deferred: these run inside the venv (the outer process must not import the app from the checkout first)
    from flask_babel import force_locale, gettext
    from flask_migrate import upgrade
    from sqlalchemy import inspect, text

    from app import create_app
    from app.accounts.services import register_user
    from app.extensions import db
    from app.library.services.producers import create_producer
    from app.library.services.resources import create_resource

    problems = []
    prefix = Path(sys.prefix).resolve()
    app = create_app({**APP_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'wheel.sqlite3'}"})
    facts = _app_facts(app)
    for key, wanted in expected.items():
        if facts[key] != wanted:
            lost, extra = sorted(set(wanted) - set(facts[key])), sorted(set(facts[key]) - set(wanted))
            problems.append(f"{key} differ from the checkout's: missing {lost[:10]}, extra {extra[:10]}")
    with app.app_context():
        upgrade()  # the migrations the wheel ships (beside app/, where the app looks for them)
        head = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        if not head or "resource" not in inspect(db.engine).get_table_names():
            problems.append(f"the migrations did not run (alembic_version {head})")
        user = register_user("check-wheel@exemple.fr", "un mot de passe assez long", "Camille Wheel", "organisation")
        producer = create_producer(user, {"kind": "structure", "name": "Collectif du paquet", "website": ""})
        resource = create_resource(
            user,
            {
                "title": "Installer depuis la roue",
                "resource_type": "atelier",
                "themes": ["securite"],
                "audiences": ["mediateurs"],
                "languages": ["fr"],
                "licence": "CC-BY-SA-4.0",
                "producer_ids": [producer.id],
            },
            publish=True,
        )
        db.session.commit()
        ident = resource.identifier
        with app.test_request_context(headers={"Accept-Language": "en"}), force_locale("en"):
            if gettext("Se connecter") != "Sign in":
                problems.append("the English catalogue does not translate (no .mo in the wheel?)")
    client = app.test_client()
    pages = {
        "/": "Se connecter",
        "/bibliotheque/": "Installer depuis la roue",
        f"/r/{ident}": "Collectif du paquet",
        f"/r/{ident}?format=jsonld": f'"{ident}"',
        "/bibliotheque/producteurs": "Collectif du paquet",
    }
    for url, needle in pages.items():
        answer = client.get(url)
        if answer.status_code != 200 or needle not in answer.get_data(as_text=True):
            problems.append(
                f"GET {url}: {answer.status_code}, {needle!r} {'missing' if answer.status_code == 200 else ''}"
            )
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    if "Sign in" not in english:
        problems.append("GET / in English: 'Sign in' missing")
    for name in ["card-pay.js", *expected["static"]]:
        answer = client.get(f"/static/{name}")
        if answer.status_code != 200:
            problems.append(f"GET /static/{name}: {answer.status_code}")
        answer.close()
    stray, borrowed = _loaded_outside(prefix)  # before the check imports anything of its own
    problems += [f"imported from outside the wheel: {s}" for s in stray]
    undeclared = sorted(borrowed - _declared_closure() - set(OPTIONAL)) if borrowed else []
    if undeclared:
        problems.append(f"loaded but not declared in the wheel's dependencies: {undeclared}")
    return problems


# ------------------------------------------------------------------ main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="install the dependencies from the index too")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--smoke", nargs=2, metavar=("FACTS", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smoke:  # inside the venv
        problems = smoke(json.loads(Path(args.smoke[0]).read_text()), Path(args.smoke[1]))
        for problem in problems:
            print(f"check-wheel: {problem}", file=sys.stderr)
        return 1 if problems else 0

    started = time.monotonic()
    steps = []

    def step(name: str) -> None:
        steps.append(f"{name} {time.monotonic() - started:.0f} s")

    workdir = Path(tempfile.mkdtemp(prefix="hub-check-wheel-"))
    try:
        wheel = build_wheel(workdir)
        problems = check_wheel_contents(wheel)
        step("built")
        python = make_venv(workdir, wheel, args.full)
        step("installed")
        facts = workdir / "expected.json"
        facts.write_text(json.dumps(expected_facts()))
        step("checkout's app")
        run = workdir / "run"
        run.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "FLASK_", "DATABASE_URL"))}
        env |= {"SECRET_KEY": "wheel-check", "FILES_DIR": str(run / "files"), "HOME": str(run)}
        result = subprocess.run(
            [str(python), "-I", str(Path(__file__).resolve()), "--smoke", str(facts), str(run)],
            cwd=run,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        step("wheel's app")
        if result.returncode != 0:
            problems.append(result.stderr.strip()[-4000:] or f"the app did not start (exit {result.returncode})")
        for problem in problems:
            print(f"check-wheel: {problem}", file=sys.stderr)
        verdict = "FAILED" if problems else "ok"
        mode = "full" if args.full else "fast"
        print(f"check-wheel: {wheel.name} {verdict} ({mode}; at {', '.join(steps)})")
        return 1 if problems else 0
    finally:
        if args.keep:
            print(f"check-wheel: kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
