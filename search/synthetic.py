"""Synthetic offers on the real communes of the Région Sud, and a fixed mix of
queries, for the benchmark (and the tests of the benchmark). Seeded: the
same arguments always give the same data."""

from __future__ import annotations

import csv
import gzip
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .base import Document, SearchQuery
from .text import fold

COMMUNES_FILE = Path(__file__).resolve().parent.parent / "data" / "communes.csv.gz"
REGION_SUD = "93"


@dataclass(frozen=True)
class Commune:
    insee: str
    name: str
    dep_code: str
    dep_name: str
    lat: float
    lon: float
    population: int


def load_communes(path: Path | str = COMMUNES_FILE, region_code: str = REGION_SUD) -> list[Commune]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [
            Commune(
                r["insee"],
                r["name"],
                r["dep_code"],
                r["dep_name"],
                float(r["lat"]),
                float(r["lon"]),
                int(r["population"] or 0),
            )
            for r in csv.DictReader(fh)
            if r["region_code"] == region_code and r["lat"] and r["lon"]
        ]


# (topic as written in a title, skill code, what the participants learn)
TOPICS: list[tuple[str, str, str]] = [
    ("site web", "presence.site_web", "créer et mettre à jour votre site"),
    ("WordPress", "presence.site_web", "publier vos pages et vos actualités"),
    ("boutique en ligne", "presence.boutique", "vendre vos produits sur internet"),
    ("réseaux sociaux", "presence.reseaux_sociaux", "publier régulièrement et répondre à vos abonnés"),
    ("Facebook et Instagram", "presence.reseaux_sociaux", "animer une page et planifier vos publications"),
    ("référencement local", "presence.referencement", "être trouvé par les habitants du quartier"),
    ("lettre d'information", "presence.newsletter", "écrire et envoyer une newsletter"),
    ("logiciel de comptabilité", "gestion.compta_facturation", "tenir une comptabilité simple"),
    ("facturation électronique", "gestion.compta_facturation", "préparer la facturation électronique"),
    ("outils collaboratifs", "gestion.collaboratif", "partager agendas et documents"),
    ("Nextcloud", "gestion.collaboratif", "installer un espace de partage de fichiers"),
    ("visioconférence", "gestion.collaboratif", "organiser des réunions à distance"),
    ("gestion des adhérents", "gestion.adherents", "suivre les adhésions et les cotisations"),
    ("paiement en ligne", "gestion.paiement", "encaisser les paiements en ligne"),
    ("démarches administratives en ligne", "mediation.demarches", "faire vos démarches sur les sites publics"),
    ("France Connect", "mediation.demarches", "vous connecter aux services publics"),
    ("smartphone", "mediation.outils_quotidien", "maîtriser votre téléphone au quotidien"),
    ("tablette", "mediation.outils_quotidien", "utiliser une tablette sans crainte"),
    ("messagerie électronique", "mediation.outils_quotidien", "envoyer des courriels et des pièces jointes"),
    ("recherche d'emploi en ligne", "mediation.insertion_pro", "postuler aux offres d'emploi"),
    ("CV et lettre de motivation", "mediation.insertion_pro", "rédiger votre CV avec un traitement de texte"),
    ("cybersécurité", "securite.cybersecurite", "reconnaître les arnaques et l'hameçonnage"),
    ("mots de passe", "securite.cybersecurite", "choisir et gérer vos mots de passe"),
    ("sauvegarde des données", "securite.sauvegarde", "sauvegarder vos fichiers importants"),
    ("RGPD", "securite.rgpd", "protéger les données personnelles de vos membres"),
    ("accessibilité numérique", "securite.accessibilite", "rendre vos documents accessibles"),
    ("contrôle parental", "mediation.parentalite", "accompagner les enfants sur les écrans"),
    ("photo numérique", "mediation.loisirs_creation", "retoucher et classer vos photos"),
    ("montage vidéo", "competences.creation_media", "monter une courte vidéo"),
    ("intelligence artificielle", "mediation.comprehension", "comprendre ce que font les IA génératives"),
    ("logiciels libres", "libre.migration", "passer aux logiciels libres"),
    ("Linux", "libre.materiel", "installer Linux sur un vieil ordinateur"),
    ("LibreOffice", "competences.bureautique", "utiliser le traitement de texte et le tableur"),
    ("tableur", "competences.bureautique", "construire un budget dans un tableur"),
    ("ordinateur reconditionné", "materiel.reconditionnement", "choisir un ordinateur reconditionné"),
    ("réseau Wi-Fi", "materiel.reseau", "installer et sécuriser le Wi-Fi"),
    ("données publiques", "competences.donnees_publiques", "exploiter les données ouvertes"),
    ("numérique responsable", "competences.numerique_responsable", "réduire l'empreinte de vos équipements"),
    ("billetterie en ligne", "gestion.paiement", "vendre vos places de spectacle en ligne"),
    ("tiers-lieu", "tiers_lieux.creation", "monter un tiers-lieu dans votre commune"),
]

CATEGORY_ACTIONS: dict[str, list[str]] = {
    "atelier": ["Atelier", "Atelier collectif", "Initiation", "Découverte"],
    "formation": ["Formation", "Parcours de formation", "Cycle de formation"],
    "audit": ["Audit", "Diagnostic"],
    "conseil": ["Conseil", "Accompagnement", "Permanence conseil"],
    "installation": ["Installation", "Mise en place", "Configuration"],
    "conference": ["Conférence", "Table ronde"],
    "transfert": ["Transfert de savoir-faire", "Tutorat"],
    "tiers_lieu": ["Accompagnement de projet", "Résidence"],
    "espace": ["Espace équipé", "Prêt de matériel"],
}
CATEGORY_WEIGHTS = {
    "atelier": 30,
    "formation": 20,
    "audit": 8,
    "conseil": 15,
    "installation": 8,
    "conference": 5,
    "transfert": 6,
    "tiers_lieu": 3,
    "espace": 5,
}

PUBLICS = [
    "seniors",
    "associations",
    "commerçants",
    "artisans",
    "jeunes",
    "demandeurs d'emploi",
    "parents",
    "TPE",
    "compagnies de théâtre",
    "mairies rurales",
    "bénévoles",
    "agriculteurs",
    "professions libérales",
    "structures culturelles",
    "clubs sportifs",
    "familles",
    "étudiants",
    "auto-entrepreneurs",
    "épiceries solidaires",
    "centres sociaux",
]

PROVIDER_KINDS = [
    "Médiation numérique",
    "Espace public numérique",
    "Tiers-lieu",
    "Association",
    "Collectif",
    "Atelier",
    "Fab lab",
    "Coopérative",
    "Point numérique",
    "Maison France services",
]
PROVIDER_NAMES = [
    "Les Calanques",
    "du Vieux-Port",
    "Sainte-Victoire",
    "des Alpilles",
    "du Luberon",
    "Azur",
    "Ventoux",
    "de la Durance",
    "Mistral",
    "Les Oliviers",
    "Lavande",
    "Méditerranée",
    "des Écrins",
    "du Verdon",
    "Camargue",
    "Estérel",
    "du Mercantour",
    "Les Cigales",
]

MODALITIES = {"on_site": "sur place", "remote": "à distance", "both": "sur place ou à distance"}
PRICE_MODES = {
    "volunteer": "gratuit, assuré par des bénévoles",
    "voucher": "éligible au chèque numérique",
    "paid": "payant, devis sur demande",
}

SENTENCES = [
    "Nous proposons {action_l} {topic} destiné aux {public} de {commune} et des environs.",
    "En {n} séances de {h} heures, vous apprendrez à {goal}.",
    "Séances {modality}, {price}.",
    "Animé par {provider}, une équipe qui connaît bien le territoire ({dep_name}).",
    "Matériel fourni : venez avec vos questions et vos identifiants.",
    "Petits groupes de {g} personnes au maximum, sur inscription.",
    "Nous pouvons aussi intervenir dans vos locaux si vous êtes une structure du {dep_name}.",
    "Un support écrit est remis à la fin pour continuer chez soi.",
]


def _title(rng: random.Random, action: str, topic: str, topic2: str, public: str, commune: str) -> str:
    pattern = rng.randrange(5)
    if pattern == 0:
        return f"{action} : {topic} pour les {public}"
    if pattern == 1:
        return f"{action} {topic}"
    if pattern == 2:
        return f"{topic[0].upper() + topic[1:]} : {action.lower()} à {commune}"
    if pattern == 3:
        return f"{action} {topic} et {topic2}"
    return f"{action} {topic} ({public})"


def generate_offers(n: int, communes: list[Commune] | None = None, seed: int = 42) -> list[Document]:
    rng = random.Random(seed)
    communes = communes or load_communes()
    weights = [max(p.population, 50) ** 0.6 for p in communes]
    providers = []
    for i in range(max(1, n // 12)):
        home = rng.choices(communes, weights)[0]
        name = f"{rng.choice(PROVIDER_KINDS)} {rng.choice(PROVIDER_NAMES)}"
        if rng.random() < 0.5:
            name = f"{rng.choice(PROVIDER_KINDS)} de {home.name}"
        providers.append((i + 1, name, home))
    categories = list(CATEGORY_WEIGHTS)
    cat_weights = list(CATEGORY_WEIGHTS.values())
    start = datetime(2023, 1, 1, tzinfo=UTC)
    docs = []
    for i in range(n):
        provider_id, provider_name, home = rng.choice(providers)
        commune = home if rng.random() < 0.8 else rng.choices(communes, weights)[0]
        category = rng.choices(categories, cat_weights)[0]
        action = rng.choice(CATEGORY_ACTIONS[category])
        (topic, skill, goal), (topic2, skill2, _) = rng.sample(TOPICS, 2)
        public = rng.choice(PUBLICS)
        title = _title(rng, action, topic, topic2, public, commune.name)
        skills = {skill} | ({skill2} if topic2 in title or rng.random() < 0.3 else set())
        modality = rng.choices(list(MODALITIES), [45, 15, 40])[0]
        price = rng.choices(list(PRICE_MODES), [45, 25, 30])[0]
        values = {
            "action_l": action.lower(),
            "topic": topic,
            "public": public,
            "commune": commune.name,
            "n": rng.randint(2, 8),
            "h": rng.choice([1, 2, 3]),
            "goal": goal,
            "modality": MODALITIES[modality],
            "price": PRICE_MODES[price],
            "provider": provider_name,
            "dep_name": commune.dep_name,
            "g": rng.choice([4, 6, 8, 10, 12]),
        }
        body = " ".join(
            s.format(**values) for s in [SENTENCES[0], SENTENCES[1], *rng.sample(SENTENCES[2:], rng.randint(1, 4))]
        )
        lat: float | None = commune.lat
        lon: float | None = commune.lon
        if modality == "remote" and rng.random() < 0.3:
            lat = lon = None
        docs.append(
            Document(
                id=str(i + 1),
                kind="offer",
                title=title,
                body=body,
                keywords=f"{provider_name} {commune.name} {commune.dep_name} {action}",
                dep_code=commune.dep_code,
                commune_insee=commune.insee,
                category=category,
                skills=sorted(skills),
                modality=modality,
                price_mode=price,
                lat=lat,
                lon=lon,
                published_at=start + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60)),
                extra={"provider_id": provider_id, "provider": provider_name, "commune": commune.name},
            )
        )
    return docs


# ---------------------------------------------------------------- queries

QUERY_WORDS = sorted(
    {w for topic, _, _ in TOPICS for w in topic.replace("'", " ").split() if len(w) > 3}
    | {w for p in PUBLICS for w in p.replace("'", " ").split() if len(w) > 3}
    | {
        "atelier",
        "formation",
        "initiation",
        "accompagnement",
        "diagnostic",
        "association",
        "asso",
        "numérique",
        "séniors",
        "site",
        "web",
        "internet",
        "ordinateur",
        "téléphone",
    }
)
MULTI = [
    "site web asso",
    "réseaux sociaux commerçants",
    "démarches administratives",
    "mots de passe",
    "atelier smartphone seniors",
    "formation comptabilité",
    "site web",
    "logiciels libres association",
    "initiation tablette",
    "cybersécurité TPE",
    "boutique en ligne artisans",
    "montage vidéo jeunes",
]
FACETS = ["category", "dep_code", "skills", "modality", "price_mode"]


@dataclass
class BenchQuery:
    family: str  # words, prefix, typo, facets, distance
    query: SearchQuery
    meta: dict[str, Any] = field(default_factory=dict)


def _typo(rng: random.Random, word: str) -> str:
    w = fold(word)
    i = rng.randrange(1, len(w) - 1)
    op = rng.randrange(4)
    if op == 0:
        return w[:i] + w[i + 1 :]
    if op == 1:
        return w[:i] + rng.choice("aeiourstln") + w[i + 1 :]
    if op == 2:
        return w[:i] + w[i + 1] + w[i] + w[i + 2 :]
    return w[:i] + w[i] + w[i:]


def query_mix(n: int = 1000, communes: list[Commune] | None = None, seed: int = 7) -> list[BenchQuery]:
    """The fixed, seeded mix: 30% words, 20% prefixes, 15% typos, 20% words with
    filters, 15% distance (radius 10–50 km around a commune, sorted by
    distance, half of them with words). Every query asks for 5 facets and 20 hits."""
    rng = random.Random(seed)
    communes = communes or load_communes()
    weights = [max(p.population, 50) ** 0.6 for p in communes]
    skills = sorted({s for _, s, _ in TOPICS})
    long_words = [w for w in QUERY_WORDS if len(fold(w)) >= 6]
    out = []
    for _ in range(n):
        r = rng.random()
        common: dict[str, Any] = {"kind": "offer", "facets": FACETS, "limit": 20}
        if r < 0.30:
            text = rng.choice(MULTI) if rng.random() < 0.4 else " ".join(rng.sample(QUERY_WORDS, rng.randint(1, 2)))
            if rng.random() < 0.3:
                text = fold(text)
            out.append(BenchQuery("words", SearchQuery(text=text, **common)))
        elif r < 0.50:
            word = rng.choice(long_words)
            out.append(BenchQuery("prefix", SearchQuery(text=word[: rng.randint(3, len(word) - 1)], **common)))
        elif r < 0.65:
            out.append(BenchQuery("typo", SearchQuery(text=_typo(rng, rng.choice(long_words)), **common)))
        elif r < 0.85:
            filters: dict[str, Any] = {}
            choice = rng.randrange(4)
            if choice == 0:
                filters["category"] = rng.choice(list(CATEGORY_WEIGHTS))
            elif choice == 1:
                filters["dep_code"] = rng.choice(["04", "05", "06", "13", "83", "84"])
            elif choice == 2:
                filters["skills"] = rng.choice(skills)
            else:
                filters["price_mode"] = rng.choice(list(PRICE_MODES))
                filters["modality"] = rng.choice(["on_site", "both"])
            text = rng.choice(MULTI + QUERY_WORDS) if rng.random() < 0.8 else ""
            out.append(BenchQuery("facets", SearchQuery(text=text, filters=filters, **common)))
        else:
            c = rng.choices(communes, weights)[0]
            text = rng.choice(MULTI + QUERY_WORDS) if rng.random() < 0.5 else ""
            out.append(
                BenchQuery(
                    "distance",
                    SearchQuery(
                        text=text,
                        near=(c.lat, c.lon),
                        radius_km=rng.choice([10, 20, 30, 50]),
                        sort="distance",
                        **common,
                    ),
                    {"commune": c.name},
                )
            )
    return out
