"""Closed vocabularies of the vouchers domain, with their French labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FUNDER_KINDS = {
    "commune": _l("Commune ou intercommunalité"),
    "departement": _l("Département"),
    "region": _l("Région"),
    "etat": _l("État"),
    "caf": _l("Caisse d'allocations familiales (CAF)"),
    "fondation": _l("Fondation"),
    "entreprise": _l("Entreprise (mécénat)"),
    "autre": _l("Autre"),
}

VOUCHER_STATUSES = {
    "issued": _l("Émis, disponible"),
    "reserved": _l("Réservé pour une mission"),
    "redeemed": _l("Utilisé"),
    "blocked": _l("Bloqué (bientôt expiré)"),
    "expired": _l("Expiré"),
}

PROGRAMME_STATUSES = {
    "draft": _l("À payer"),
    "awaiting_payment": _l("Paiement en attente"),
    "funded": _l("Financé, actif"),
    "closed": _l("Clos"),
}

PAYMENT_STATUSES = {
    "created": _l("Créé"),
    "requires_action": _l("Authentification demandée"),
    "processing": _l("En cours"),
    "succeeded": _l("Reçu"),
    "failed": _l("Refusé"),
    "canceled": _l("Annulé"),
}

REQUEST_STATUSES = {
    "pending": _l("En attente de validation"),
    "approved": _l("Acceptée"),
    "rejected": _l("Refusée"),
}

REGION_SUD_DEPARTEMENTS = {
    "04": "04 — Alpes-de-Haute-Provence",
    "05": "05 — Hautes-Alpes",
    "06": "06 — Alpes-Maritimes",
    "13": "13 — Bouches-du-Rhône",
    "83": "83 — Var",
    "84": "84 — Vaucluse",
}
