"""Closed vocabularies of the vouchers domain, with their French labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.vouchers.models import RequestStatus
from payments.codes import PaymentStatus, ProgrammeStatus, VoucherStatus

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
    VoucherStatus.ISSUED.value: _l("Émis, disponible"),
    VoucherStatus.RESERVED.value: _l("Réservé pour une mission"),
    VoucherStatus.REDEEMED.value: _l("Utilisé"),
    VoucherStatus.BLOCKED.value: _l("Bloqué (bientôt expiré)"),
    VoucherStatus.EXPIRED.value: _l("Expiré"),
}

PROGRAMME_STATUSES = {
    ProgrammeStatus.DRAFT.value: _l("À payer"),
    ProgrammeStatus.AWAITING_PAYMENT.value: _l("Paiement en attente"),
    ProgrammeStatus.FUNDED.value: _l("Financé, actif"),
    ProgrammeStatus.CLOSED.value: _l("Clos"),
}

PAYMENT_STATUSES = {
    PaymentStatus.CREATED.value: _l("Créé"),
    PaymentStatus.REQUIRES_ACTION.value: _l("Authentification demandée"),
    PaymentStatus.PROCESSING.value: _l("En cours"),
    PaymentStatus.SUCCEEDED.value: _l("Reçu"),
    PaymentStatus.FAILED.value: _l("Refusé"),
    PaymentStatus.CANCELED.value: _l("Annulé"),
}

# What a card payment was for (`payments.models.Payment.purpose`), as staff read it: the purposes of
# app.vouchers.funders.FUNDING, app.vouchers.missions.MISSION_PAYMENT and app.library.purchase.PURPOSE.
PAYMENT_PURPOSES = {
    "programme_funding": _l("Financement d'un programme"),
    "mission_payment": _l("Paiement d'une mission"),
    "licence_sale": _l("Achat d'une licence"),
}

REQUEST_STATUSES = {
    RequestStatus.PENDING.value: _l("En attente de validation"),
    RequestStatus.APPROVED.value: _l("Acceptée"),
    RequestStatus.REJECTED.value: _l("Refusée"),
}

REGION_SUD_DEPARTEMENTS = {
    "04": "04 — Alpes-de-Haute-Provence",
    "05": "05 — Hautes-Alpes",
    "06": "06 — Alpes-Maritimes",
    "13": "13 — Bouches-du-Rhône",
    "83": "83 — Var",
    "84": "84 — Vaucluse",
}
