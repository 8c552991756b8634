"""What templates show of the knowledge base: vocabulary labels, history lines.
Available in templates as `library_ui`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core import text as core_text
from app.library import vocab
from app.library.models import ResourceStatus as RS
from app.library.rendering import plain_text

FIELD_LABELS = {
    "title": _l("Titre"),
    "description": _l("Description"),
    "resource_type": _l("Type"),
    "themes": _l("Thématiques"),
    "audiences": _l("Publics"),
    "languages": _l("Langues"),
    "formats": _l("Formats"),
    "year_created": _l("Année de création"),
    "licence": _l("Licence"),
    "source_url": _l("Adresse d'origine"),
    "producers": _l("Producteurs"),
    "is_based_on": _l("Fondée sur"),
    "is_related_to": _l("Ressources liées"),
    "status": _l("Statut"),
    "merged_into": _l("Fusionnée dans"),
    "merged_from": _l("A absorbé"),
    "files": _l("Fichiers"),
    "licence_offers": _l("Licences proposées"),
    "note": _l("Note"),
}

ACTION_LABELS = {
    "created": _l("Création"),
    "updated": _l("Modification"),
    "published": _l("Publication"),
    "unpublished": _l("Remise en brouillon"),
    "deleted": _l("Suppression"),
    "restored": _l("Restauration"),
    "merged_into": _l("Fusion dans une autre ressource"),
    "merged_from": _l("Fusion d'un doublon"),
    "file_added": _l("Fichier ajouté"),
    "file_version": _l("Nouvelle version d'un fichier"),
    "file_removed": _l("Fichier retiré"),
    "offer_added": _l("Licence mise en vente"),
    "offer_changed": _l("Licence modifiée"),
}

STATUS_LABELS = {  # keyed by the stored value (the history records statuses as their values)
    RS.DRAFT.value: _l("Brouillon"),
    RS.PUBLISHED.value: _l("Publiée"),
    RS.MERGED.value: _l("Fusionnée"),
    RS.DELETED.value: _l("Supprimée"),
}

VOCABULARIES = {
    "resource_type": vocab.RESOURCE_TYPES,
    "themes": vocab.THEMES,
    "audiences": vocab.AUDIENCES,
    "languages": vocab.LANGUAGES,
    "formats": vocab.FORMATS,
    "licence": vocab.LICENCES,
    "status": STATUS_LABELS,
}


def label(vocabulary_name: str, code) -> str:
    vocabulary = VOCABULARIES.get(vocabulary_name) or getattr(vocab, vocabulary_name, {})
    return str(vocabulary.get(code, code or ""))


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def value_text(name: str, value, limit: int = 300) -> str:
    """A history value as a person reads it."""
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(label(name, v) if name in VOCABULARIES else str(v) for v in value)
    if name in VOCABULARIES:
        return label(name, value)
    if name == "description":
        return plain_text(str(value), limit) or "—"
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def licence_url(code: str) -> str | None:
    return vocab.LICENCE_URLS.get(code)


def euros(cents: int) -> str:
    return core_text.euros(cents)  # one money format everywhere ("10 000 €" with no-break spaces)


def actor_name(event, resource) -> str:
    """Producers' members by name; hub staff acting as moderators as the hub team."""
    actor = event.actor
    if actor is None:
        return str(_l("le système"))
    if actor.is_staff and not any(m.user_id == actor.id for p in resource.producers for m in p.members):
        return str(_l("l'équipe du Hub"))
    return actor.full_name
