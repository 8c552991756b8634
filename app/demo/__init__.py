"""Demo data for the Région Sud (Provence-Alpes-Côte d'Azur).

`load_demo(password)` fills an empty database (communes already loaded) with invented providers, offers,
organisations, needs, a funder with two voucher programmes (one paid by card when loaded: open) and a
content producer with its resources (each with a printable PDF), placed on real communes of the six
départements (04, 05, 06, 13, 83, 84). Every named account can do its main task at once (README.md). The data is in YAML files under
app/demo/data/ (edit them, not the code); app/demo/loader.py reads them and app/demo/rows.py creates the
rows through the domains' services, so the publication and need state machines apply. The loader flushes
but never commits (the CLI does: `flask hub demo`, `flask hub bootstrap`).

The data is deterministic (`random.Random(2026)`): the same database comes out of every run. Names of people
and structures are invented; phone numbers are in the ranges ARCEP reserves for fiction (04 65 71 xx xx,
06 39 98 xx xx) and e-mail addresses are under demo.hubdusud.fr.

Demo accounts (all with the given password, e-mail confirmed):
  admin@demo.hubdusud.fr        hub staff and admin
  equipe@demo.hubdusud.fr       hub staff (moderates the demo content)
  structure@demo.hubdusud.fr    owner of "Association Les Jardins de la Treille" (Marseille), eligible to the paid programme
  prestataire@demo.hubdusud.fr  owner of "Pôle Numérique Solidaire du Pays d'Aix" (Aix-en-Provence)
  financeur@demo.hubdusud.fr    member of the funder "Métropole Aix-Marseille-Provence"
  producteur@demo.hubdusud.fr   member of the producer "Collectif Médiation Sud"
  contact+orgN@ / contact+prestaN@demo.hubdusud.fr  owners of the other structures and providers
"""

from __future__ import annotations

from app.demo.loader import (
    ADMIN_EMAIL,
    DEMO_ACCOUNTS,
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    ORGANISATION_EMAIL,
    PROVIDER_EMAIL,
    STAFF_EMAIL,
    database_is_empty,
    load_demo,
    make_siret,
)

__all__ = [
    "ADMIN_EMAIL",
    "DEMO_ACCOUNTS",
    "DEMO_DOMAIN",
    "DEMO_PASSWORD",
    "ORGANISATION_EMAIL",
    "PROVIDER_EMAIL",
    "STAFF_EMAIL",
    "database_is_empty",
    "load_demo",
    "make_siret",
]
