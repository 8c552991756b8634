"""Read the demo's YAML files (app/demo/data/) and create their rows through app/demo/rows.py.

The draws (SIRETs, phone numbers, availability, need wording and dates) come from one
`random.Random(SEED)`, in a fixed order: the same database comes out of every run. Changing the
order of the draws, or of the entries of a data file, changes the database (not its counts).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from stdnum import luhn

from app.accounts.models import User
from app.accounts.services import get_user_by_email, hash_password
from app.charter.label_demo import label_demo_subjects
from app.charter.models import SubjectKind
from app.charter.text import criterion_by_number
from app.charter.text import themes as charter_themes
from app.core.models import PublicationStatus, utcnow
from app.core.text import fold
from app.demo import rows
from app.demo.printables import resource_sheet
from app.directory.models import Provider
from app.extensions import db
from app.needs.boussole import Tree, load_tree, walk
from app.territory.models import Commune
from payments.interface import PaymentGateway
from payments.testing import FakeGateway

DEMO_PASSWORD = "demo-hub-du-sud"
DEMO_DOMAIN = "demo.hubdusud.fr"
SEED = 2026
REGION_SUD = "93"
DATA_DIR = Path(__file__).with_name("data")
# The marker (`hub_env`) of the demo's card payments: the reconciliation with Stripe (environment "dev",
# "prod"…) leaves them aside, as it does any other environment's.
DEMO_PAYMENTS_ENVIRONMENT = "demo"

# The named accounts the README lists (the staff accounts are in data/staff.yaml, the funder's and the
# producer's in data/funders.yaml and data/library.yaml).
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
STAFF_EMAIL = f"equipe@{DEMO_DOMAIN}"
ORGANISATION_EMAIL = f"structure@{DEMO_DOMAIN}"
PROVIDER_EMAIL = f"prestataire@{DEMO_DOMAIN}"
DEMO_ACCOUNTS = (ADMIN_EMAIL, STAFF_EMAIL, ORGANISATION_EMAIL, PROVIDER_EMAIL)

PROVIDER_FIELDS = ("name", "kind", "commune_insee", "radius_km", "remote_capable", "languages", "presentation")
OFFER_FIELDS = ("title", "description", "category", "skills", "modality", "capacity_per_month", "price_mode")

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: ten times faster


def read(name: str) -> Any:
    """The parsed data file `data/<name>.yaml` (read afresh at each call: callers may keep what they get)."""
    return yaml.load((DATA_DIR / f"{name}.yaml").read_text(encoding="utf-8"), Loader=_Loader)


def database_is_empty() -> bool:
    return (db.session.scalar(select(func.count()).select_from(User)) or 0) == 0


# ---------------------------------------------------------------- draws


def make_siret(rng: random.Random, used: set[str]) -> str:
    """A SIRET that passes the Luhn checks of python-stdnum (SIREN and SIRET), unique in `used`."""
    while True:
        head = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
        siren = head + luhn.calc_check_digit(head)
        if siren == "356000000":  # La Poste has its own rule
            continue
        body = siren + f"{rng.randint(1, 99):04d}"
        siret = body + luhn.calc_check_digit(body)
        if siret not in used:
            used.add(siret)
            return siret


def _phone(rng: random.Random, mobile: bool = False) -> str:
    # ARCEP ranges reserved for fiction, so no real line is ever called.
    prefix = "06 39 98" if mobile else "04 65 71"
    return f"{prefix} {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:50]


def _website(spec: dict) -> str:
    return f"https://{_slug(spec['name'])}.{DEMO_DOMAIN}" if spec.get("website") else ""


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _check_communes(codes: set[str]) -> dict[str, Commune]:
    found = {c.insee: c for c in db.session.scalars(select(Commune).where(Commune.insee.in_(codes)))}
    missing = sorted(codes - found.keys())
    if missing:
        raise RuntimeError(f"demo: communes {missing} are not loaded; run `flask hub load-communes` first")
    outside = sorted(c.insee for c in found.values() if c.region_code != REGION_SUD)
    if outside:
        raise RuntimeError(f"demo: communes {outside} are outside the Région Sud")
    return found


# ---------------------------------------------------------------- the loader


@dataclass
class _Run:
    """What every step shares: the draws, the clock, the one password hash, the moderator."""

    rng: random.Random
    now: datetime
    password_hash: str
    sirets: set[str] = field(default_factory=set)
    users: int = 0
    moderator: User | None = None

    def user(self, email: str, full_name: str, **flags: Any) -> User:
        self.users += 1
        return rows.add_user(email, full_name, self.password_hash, self.now, **flags)

    def siret(self, wanted: bool) -> str | None:
        return make_siret(self.rng, self.sirets) if wanted else None


def load_demo(password: str = DEMO_PASSWORD, gateway: PaymentGateway | None = None) -> dict:
    """Load the Région Sud demo data; flush, never commit. Returns counts by kind.

    The programmes marked `paid` are paid by card through `gateway`: by default an in-memory test gateway
    (`payments.testing.FakeGateway`, environment "demo") that answers as Stripe's test mode does for the
    test card, since `make run` loads the demo before it starts localstripe."""
    if get_user_by_email(ADMIN_EMAIL) is not None:
        raise RuntimeError("demo: the demo data is already loaded")
    providers, organisations = read("providers"), read("organisations")["organisations"]
    codes = {p["commune_insee"] for p in providers["providers"]} | {o["commune_insee"] for o in organisations}
    communes = _check_communes(codes)
    run = _Run(random.Random(SEED), utcnow(), hash_password(password))

    for spec in read("staff")["accounts"]:
        account = run.user(spec["email"], spec["full_name"], staff=True, admin=spec.get("admin", False))
        if spec.get("moderator"):
            run.moderator = account
    db.session.flush()

    n_offers = _load_providers(run, providers)
    n_needs = _load_organisations(run, organisations, communes, read("needs"))
    db.session.flush()
    gateway = gateway or FakeGateway(environment=DEMO_PAYMENTS_ENVIRONMENT)
    n_funders, n_programmes = _load_funders(run, read("funders")["funders"], gateway)
    n_resources = _load_library(run, read("library")["producers"])
    n_criteria, n_amendments = _load_charter(run, read("charter"))
    n_labels = _load_labels(run)  # after the charter's text: labels need an adopted version
    return {
        "utilisateurs": run.users,
        "structures": len(organisations),
        "prestataires": len(providers["providers"]),
        "offres": n_offers,
        "besoins": n_needs,
        "financeurs": n_funders,
        "programmes": n_programmes,
        "ressources": n_resources,
        "critères de la charte": n_criteria,
        "amendements": n_amendments,
        "labels": n_labels,
    }


def _load_labels(run: _Run) -> int:
    """A few published providers labelled at several levels, reviewed by two staff accounts (through the
    charter's services: assess, submit, two validations). Nothing before the charter has a version."""
    providers = db.session.scalars(
        select(Provider).where(Provider.status == PublicationStatus.PUBLISHED).order_by(Provider.id).limit(4)
    ).all()
    staff = db.session.scalars(select(User).where(User.is_staff.is_(True)).order_by(User.id).limit(2)).all()
    if len(staff) < 2:
        return 0
    applicants = [(p.memberships[0].user, SubjectKind.PROVIDER, p.id) for p in providers if p.memberships]
    return len(label_demo_subjects(applicants, (staff[0], staff[1])))


def _load_providers(run: _Run, data: dict) -> int:
    """The providers (each with its own owner) and their offers; returns the number of offers."""
    rng, count = run.rng, 0
    for index, spec in enumerate(data["providers"]):
        email = PROVIDER_EMAIL if index == 0 else f"contact+presta{index}@{DEMO_DOMAIN}"
        owner = run.user(email, spec["person"], intent="provider")
        values = {k: spec[k] for k in PROVIDER_FIELDS} | {"contact_email": email}
        values["public_address"] = spec.get("public_address", "")  # where it receives the public, if it does
        values["opendata_contact"] = bool(spec.get("opendata_contact"))  # consent to publish its contact
        values["siret"] = run.siret(spec["siret"])
        values["website"] = _website(spec)
        provider = rows.add_provider(
            owner, run.moderator, values, publish=spec.get("status", "published") == "published"
        )
        for o in spec["offers"]:
            offer = {k: o[k] for k in OFFER_FIELDS}
            offer["duration_hours"] = float(o["duration_hours"])
            offer["price_cents"] = int(o["price_euros"] * 100) if o.get("price_euros") else None
            offer["available_from"] = rng.choice(data["available_from"])
            offer["available_until"] = rng.choice(data["available_until"])
            status = o.get("status", "published")
            published_at = None
            if status == "published":
                published_at = run.now - timedelta(days=rng.randint(3, 120), hours=rng.randint(0, 23))
            rows.add_offer(owner, run.moderator, provider, offer, status, o.get("reason"), published_at)
            count += 1
    return count


def _load_organisations(run: _Run, organisations: list[dict], communes: dict[str, Commune], wording: dict) -> int:
    """The organisations (each with its own owner) and one need per topic; returns the number of needs."""
    rng, count = run.rng, 0
    tree = load_tree()
    used_titles: set[str] = set()
    for index, spec in enumerate(organisations):
        email = ORGANISATION_EMAIL if index == 0 else f"contact+org{index}@{DEMO_DOMAIN}"
        owner = run.user(email, spec["person"], intent="organisation")
        commune = communes[spec["commune_insee"]]
        phone = _phone(rng, mobile=spec["size"] == "solo" or spec["kind"] in ("artisan", "association"))
        values = {k: spec[k] for k in ("name", "kind", "size", "commune_insee", "description")}
        values |= {"contact_email": email, "contact_phone": phone, "website": _website(spec)}
        values["siret"] = run.siret(spec.get("siret", True))
        published = spec.get("status", "published") == "published"
        org = rows.add_organisation(owner, run.moderator, values, publish=published)

        words = {
            "short": spec["short"],
            "de_short": spec["de_short"],
            "public": spec["public"],
            "commune": commune.name,
        }
        for position, topic in enumerate(spec["topics"]):
            topic = {"topic": topic} if isinstance(topic, str) else topic
            values, answers = _need(run.rng, wording, tree, spec, topic, words, used_titles)
            values |= {"commune_insee": commune.insee, "contact_name": spec["person"]}
            values |= {"contact_email": email, "contact_phone": phone}
            # Mostly open; some drafts; a few cancelled or closed (owner moves the state machine allows).
            if not published:
                fate = "draft"
            elif index == 0:
                fate = "draft" if position == len(spec["topics"]) - 1 else "open"
            else:
                fate = _weighted(rng, wording["fate_weights"])
            need = rows.add_need(owner, org, values, answers, publish=fate != "draft")
            need.created_at = run.now - timedelta(days=rng.randint(1, 75), hours=rng.randint(0, 23))
            if need.opened_at is not None:
                need.opened_at = need.created_at + timedelta(minutes=rng.randint(5, 600))
            if fate in ("cancelled", "closed"):
                reasons = wording["cancel_reasons" if fate == "cancelled" else "close_reasons"]
                rows.end_need(owner, need, fate, rng.choice(reasons))
            count += 1
    return count


def _need(
    rng: random.Random, wording: dict, tree: Tree, spec: dict, topic: dict, words: dict, used_titles: set[str]
) -> tuple[dict, list[str]]:
    """A need's values and boussole answers: a real path of the boussole, its wording drawn from needs.yaml."""
    goal, choice = topic["topic"].split(".")
    kind = spec["kind"]
    funding = "pme" if kind == "pme" else "non_profit" if kind in wording["non_profit_kinds"] else "business"
    answers = [
        goal,
        choice,
        _weighted(rng, wording["format_weights"]),
        _weighted(rng, wording["funding_weights"][funding]),
    ]
    outcome = walk(tree, answers)
    if topic.get("title"):
        title = topic["title"]
    else:
        candidates = [_cap(t.format(**words)) for t in wording["titles"][topic["topic"]]]
        title = rng.choice([t for t in candidates if t not in used_titles] or candidates)
    used_titles.add(title)
    pool = wording["details"][topic["topic"]]
    details = rng.sample(pool, k=min(2, len(pool)))
    if topic.get("detail"):
        details = [topic["detail"], *details[:1]]
    budget = f"{rng.choice(wording['budgets'][spec['size']]):,}".replace(",", "\u00a0")  # "1 500"
    moments = wording["moments"].get(kind, wording["moments"]["default"])
    sentences = [
        spec["activity"],
        outcome.description,
        *details,
        rng.choice(wording["modality_sentences"][outcome.modality]),
        rng.choice(wording["funding_sentences"][outcome.funding]),
        f"Nous sommes disponibles {rng.choice(moments)}.",
    ]
    window_first, window_last = wording["window"]["first"], wording["window"]["last"]
    start = window_first + timedelta(days=rng.randint(0, 150))
    end = min(start + timedelta(days=rng.randint(21, 90)), window_last)
    values = {
        "title": title,
        "description": " ".join(s.format(**words, budget=budget) for s in sentences if s),
        "categories": list(outcome.categories),
        "skills": list(outcome.skills),
        "modality": outcome.modality,
        "window_start": start,
        "window_end": end,
        "funding_mode": outcome.funding,
    }
    return values, answers


def _load_funders(run: _Run, funders: list[dict], gateway: PaymentGateway) -> tuple[int, int]:
    """The funders (created by the hub staff) and their programmes, the `paid` ones paid by card by the
    funder's member; returns the numbers of both."""
    programmes = 0
    for spec in funders:
        email = spec["account"]["email"]
        member = run.user(email, spec["account"]["full_name"], intent="funder", flush=True)
        values = {k: spec[k] for k in ("name", "kind", "dep_code")} | {"contact_email": email}
        funder = rows.add_funder(run.moderator, values, email)
        for entry in spec["programmes"]:
            values = {k: v for k, v in entry.items() if k != "paid"}
            programme = rows.add_programme(member, funder, values, today=date.today())
            if entry.get("paid"):
                rows.pay_by_card(member, programme, gateway)
            programmes += 1
    return len(funders), programmes


def _load_library(run: _Run, producers: list[dict]) -> int:
    """The content producers and their published resources; returns the number of resources."""
    count = 0
    for spec in producers:
        member = run.user(spec["account"]["email"], spec["account"]["full_name"], intent="producer", flush=True)
        values = {k: spec[k] for k in ("kind", "name", "presentation", "website")}
        producer = rows.add_producer(member, values)
        for resource in spec["resources"]:
            offers = [offer | {"producer_id": producer.id} for offer in resource.get("offers", [])]
            values = {k: v for k, v in resource.items() if k not in ("offers", "file")}
            values |= {"languages": ["fr"], "producer_ids": [producer.id]}
            files = {}
            if resource.get("file"):  # its printable sheet, made from its entry
                sheet = resource_sheet(resource["title"], resource["description"], spec["name"], resource["licence"])
                files[resource["file"]] = sheet
            rows.add_resource(member, values, offers, files)
            count += 1
    return count


def _load_charter(run: _Run, data: dict) -> tuple[int, int]:
    """The charter's first version, its committee member, and an open consultation with its amendments and
    supports (the authors and supporters are the README's accounts); returns the numbers of criteria and
    amendments."""
    assert run.moderator is not None
    version = rows.add_charter_version(run.moderator, data["themes"], "Première version de la charte.")
    member = run.user(data["committee"]["email"], data["committee"]["full_name"], flush=True)
    rows.add_committee_member(run.moderator, member.email)
    spec = data["consultation"]
    values = {
        "title": spec["title"],
        "description": spec["description"],
        "opens_at": run.now - timedelta(days=spec["opened_days_ago"]),
        "closes_at": run.now + timedelta(days=spec["closes_in_days"]),
    }
    consultation = rows.add_consultation(member, values)
    themes = {t.code: t.id for t in charter_themes()}
    for entry in spec["amendments"]:
        values = {k: entry.get(k) for k in ("kind", "wording", "evidence", "applies_to", "weight", "rationale")}
        if entry.get("theme_code"):
            values["theme_id"] = themes[entry["theme_code"]]
        if entry.get("criterion"):
            criterion = criterion_by_number(entry["criterion"])
            values["criterion_id"] = criterion.id if criterion else None
        supporters = [_account(email) for email in entry["supporters"]]
        rows.add_amendment(_account(entry["author"]), consultation, values, supporters)
    return len(version.criteria), len(spec["amendments"])


def _account(email: str) -> User:
    user = get_user_by_email(email)
    if user is None:
        raise RuntimeError(f"demo: no account {email}")
    return user
