"""Demo data for the funders (voucher programmes) and the knowledge base, loaded
after the directory demo (app/demo.py). Flush, never commit."""

from __future__ import annotations

from datetime import date

FUNDER_EMAIL = "financeur@demo.hubdusud.fr"
PRODUCER_EMAIL = "producteur@demo.hubdusud.fr"

RESOURCES = [
    {
        "title": "Fiche pratique : créer son compte Ameli pas à pas",
        "resource_type": "fiche",
        "themes": ["demarches"],
        "audiences": ["mediateurs", "grand_public"],
        "formats": ["imprimable"],
        "licence": "etalab-2.0",
        "year_created": 2025,
        "description": "Une fiche en **six étapes** illustrées, à imprimer et à laisser aux personnes accompagnées.\n\n"
        "- ce qu'il faut préparer (carte Vitale, RIB, adresse e-mail) ;\n- les écrans un à un ;\n"
        "- les erreurs fréquentes et comment s'en sortir.",
    },
    {
        "title": "Atelier « Mon smartphone au quotidien » (3 séances)",
        "resource_type": "atelier",
        "themes": ["premiers_pas", "materiel"],
        "audiences": ["mediateurs", "seniors"],
        "formats": ["diaporama", "texte"],
        "licence": "CC-BY-SA-4.0",
        "year_created": 2024,
        "description": "Le déroulé complet de trois séances de deux heures pour des seniors : réglages, appels "
        "vidéo, photos, applications utiles. Avec le diaporama et la fiche d'animation.",
    },
    {
        "title": "Kit de communication : annoncer ses permanences numériques",
        "resource_type": "communication",
        "themes": ["mediation"],
        "audiences": ["mediateurs", "collectivites"],
        "formats": ["image", "texte"],
        "licence": "CC-BY-4.0",
        "year_created": 2025,
        "description": "Affiches A3 et A4, visuels pour les réseaux sociaux et textes types pour le bulletin "
        "municipal, à adapter avec le nom du lieu et les horaires.",
    },
    {
        "title": "Guide : passer son association aux logiciels libres",
        "resource_type": "guide",
        "themes": ["libre", "gestion_structure"],
        "audiences": ["associations"],
        "formats": ["texte"],
        "licence": "CC-BY-SA-4.0",
        "year_created": 2023,
        "description": "Inventaire des usages, choix des outils (Nextcloud, LibreOffice, Thunderbird), plan de "
        "migration en quatre semaines et formation des bénévoles.",
    },
    {
        "title": "Jeu de cartes « Vrai ou faux sur Internet »",
        "resource_type": "jeu",
        "themes": ["education_medias", "securite"],
        "audiences": ["jeunes", "familles"],
        "formats": ["imprimable"],
        "licence": "CC-BY-NC-SA-4.0",
        "year_created": 2024,
        "description": "Quarante cartes pour débattre des fausses informations, des arnaques et des données "
        "personnelles, en famille ou en classe, à partir de 10 ans.",
    },
    {
        "title": "Programme de formation : devenir aidant numérique en structure sociale",
        "resource_type": "programme",
        "themes": ["mediation", "demarches"],
        "audiences": ["aidants", "formateurs"],
        "formats": ["texte", "diaporama"],
        "licence": "LicenseRef-licence-usage",
        "year_created": 2025,
        "description": "Un parcours de 21 heures (7 modules) pour les travailleurs sociaux qui accompagnent des "
        "démarches en ligne : postures, Aidants Connect, sécurité, orientation vers les lieux de "
        "médiation. Supports de formateur, exercices et évaluation.",
        "offers": [
            {"kind": "individuel", "price_cents": 4900, "label": "Usage individuel"},
            {
                "kind": "structure",
                "price_cents": 19000,
                "label": "Usage par une structure pendant un an",
                "duration_months": 12,
            },
        ],
    },
]


def load_demo_extras(staff, password_hash: str, now) -> dict:
    from app.accounts.models import User
    from app.extensions import db
    from app.library.services.licences import add_licence_offer
    from app.library.services.producers import create_producer
    from app.library.services.resources import create_resource
    from app.vouchers.services import add_funder_member, create_funder, create_programme

    def user(email: str, full_name: str):
        account = User(
            email=email,
            password_hash=password_hash,
            full_name=full_name,
            locale="fr",
            email_confirmed_at=now,
            intent="organisation",
        )
        db.session.add(account)
        db.session.flush()
        return account

    funder_user = user(FUNDER_EMAIL, "Sylvie Ravel")
    funder = create_funder(
        staff,
        {
            "name": "Métropole Aix-Marseille-Provence",
            "kind": "commune",
            "dep_code": "13",
            "contact_email": FUNDER_EMAIL,
        },
    )
    add_funder_member(staff, funder, FUNDER_EMAIL)
    programme = create_programme(
        funder_user,
        funder,
        {
            "name": "Chèques numériques 2027 des associations et commerces de la Métropole",
            "face_value_cents": 5000,
            "voucher_count": 200,
            "validity_days": 365,
            "organisation_kinds": ["association", "commerce", "artisan", "tpe"],
            "departements": ["13"],
            "max_per_organisation": 3,
            "require_siret": True,
            "description": "Un chèque de 50 € par accompagnement, jusqu'à trois par structure, pour les structures des "
            "Bouches-du-Rhône. À payer par carte avant la diffusion des chèques (carte de test 4242 4242 "
            "4242 4242 avec le serveur Stripe local).",
        },
        today=date.today(),
    )

    producer_user = user(PRODUCER_EMAIL, "Malik Benaïssa")
    producer = create_producer(
        producer_user,
        {
            "kind": "structure",
            "name": "Collectif Médiation Sud",
            "presentation": "Médiateurs et formateurs de la Région Sud qui partagent leurs supports d'atelier.",
            "website": "https://mediation-sud.example.org",
        },
    )
    resources = []
    for spec in RESOURCES:
        values = {k: v for k, v in spec.items() if k != "offers"} | {"languages": ["fr"], "producer_ids": [producer.id]}
        resource = create_resource(producer_user, values, publish=True)
        for offer in spec.get("offers", []):
            add_licence_offer(producer_user, resource, offer | {"producer_id": producer.id})
        resources.append(resource)
    return {"financeurs": 1, "programmes": 1 if programme else 0, "ressources": len(resources)}
