"""Shared data of the search tests: real coordinates, a small corpus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from search import Document

MARSEILLE = (43.2965, 5.3698)
AIX = (43.5297, 5.4474)
NICE = (43.7102, 7.2620)
AVIGNON = (43.9493, 4.8055)


def day(n: int) -> datetime:
    return datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n)


def offer(
    id,
    title,
    *,
    at=None,
    commune=None,
    dep=None,
    category="atelier",
    skills=(),
    modality="both",
    price="volunteer",
    body="",
    keywords="",
    published=None,
    **extra,
):
    lat, lon = at if at else (None, None)
    return Document(
        id=id,
        kind="offer",
        title=title,
        body=body,
        keywords=keywords,
        dep_code=dep,
        commune_insee=commune,
        category=category,
        skills=list(skills),
        modality=modality,
        price_mode=price,
        lat=lat,
        lon=lon,
        published_at=published,
        extra=extra,
    )


def corpus_documents() -> dict[str, list[Document]]:
    offers = [
        offer(
            1,
            "Médiation numérique pour seniors",
            at=MARSEILLE,
            commune="13055",
            dep="13",
            skills=["mediation.outils_quotidien"],
            modality="on_site",
            price="volunteer",
            body="Des ateliers pour apprendre à se servir d'une tablette.",
            keywords="Marseille Maîtrise des outils numériques du quotidien",
            published=day(10),
            url="/offres/1",
        ),
        offer(
            2,
            "Créer le site WordPress de votre association",
            at=AIX,
            commune="13001",
            dep="13",
            skills=["presence.site_web"],
            modality="both",
            price="voucher",
            body="Un site web simple, en trois séances, que vous saurez mettre à jour.",
            keywords="Aix-en-Provence Site web",
            published=day(20),
        ),
        offer(
            3,
            "Atelier Théâtre et numérique",
            at=AVIGNON,
            commune="84007",
            dep="84",
            category="formation",
            skills=["mediation.loisirs_creation"],
            modality="remote",
            price="paid",
            body="Captation vidéo et billetterie en ligne pour les compagnies.",
            keywords="Avignon",
            published=day(30),
        ),
        offer(
            4,
            "Site web et réseaux sociaux pour les commerces",
            at=NICE,
            commune="06088",
            dep="06",
            category="conseil",
            skills=["presence.site_web", "presence.reseaux_sociaux"],
            modality="both",
            price="paid",
            body="Être visible en ligne quand on tient une boutique.",
            keywords="Nice",
            published=day(40),
        ),
        offer(
            5,
            "Sécurité informatique des associations",
            at=MARSEILLE,
            commune="13055",
            dep="13",
            category="audit",
            skills=["securite.bonnes_pratiques"],
            modality="on_site",
            price="volunteer",
            body="Mots de passe, sauvegardes <script>alert(1)</script> et bonnes pratiques.",
            keywords="Marseille",
            published=day(50),
        ),
        offer(
            6,
            "Comptabilité en ligne pour TPE",
            category="formation",
            skills=["gestion.compta_facturation"],
            modality="remote",
            price="voucher",
            body="Choisir un logiciel de facturation.",
            published=day(60),
        ),
    ]
    providers = [
        Document(
            id=1,
            kind="provider",
            title="Médiation Aixoise",
            body="Une équipe de médiateurs.",
            dep_code="13",
            commune_insee="13001",
            lat=AIX[0],
            lon=AIX[1],
            published_at=day(5),
        )
    ]
    resources = [
        Document(
            id=1,
            kind="resource",
            title="Guide : choisir un hébergeur pour son site web",
            body="Comparer les offres d'hébergement.",
            published_at=day(6),
        )
    ]
    needs = [
        Document(
            id=1,
            kind="need",
            title="Un site pour notre compagnie de théâtre",
            body="Nous jouons à Marseille et n'avons aucun site.",
            dep_code="13",
            commune_insee="13055",
            lat=MARSEILLE[0],
            lon=MARSEILLE[1],
            published_at=day(70),
        )
    ]
    return {"offer": offers, "provider": providers, "resource": resources, "need": needs}
