"""The engine's notes on a run, in the reader's language.

The matching library tells how it got its answer with notes: a code and its parameters
(`matching.notes.Note`). A run stores them in its figures as JSON (`stored_notes`:
``[{code, params, text}]``, ``text`` being the library's French wording) under ``"notes"``, and the
reason the text similarity is off under ``"semantic_note"``; the run page words them here, through
the catalogues, French first (`notes_html`, `note_html`), the départements and providers they name
by their names.

Runs stored before have plain French strings: they are shown as they are, marked ``lang="fr"`` in a
page of another language, as is the stored text of a code this module does not know (a note added
to the library later) and a plain string from a solver that does not give codes yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from babel.numbers import format_percent
from flask_babel import format_decimal, get_locale, ngettext
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select

from app.core.french import SOURCE_LANGUAGE, user_text
from app.directory.models import Provider
from app.extensions import db
from app.matches.explanations import _plain
from app.territory.services import departement_names

StoredNote = dict[str, Any] | str


def stored_note(note: Any) -> StoredNote:
    """One note as stored: ``{code, params, text}``, a plain string as it is, nothing as ``""``."""
    if note is None or isinstance(note, str):
        return note or ""
    return {"code": note.code, "params": _plain(dict(note.params)), "text": note.text}


def stored_notes(notes: Iterable[Any]) -> list[StoredNote]:
    """The notes of a `matching` result as stored (empty ones left out)."""
    return [s for s in (stored_note(n) for n in notes) if s]


# ------------------------------------------------------------------ wording


class _Names:
    """The names of the départements and providers some notes speak of (read once per page)."""

    def __init__(self, notes: Iterable[StoredNote]) -> None:
        params = [n.get("params") or {} for n in notes if isinstance(n, Mapping)]
        providers = {int(p["provider_id"]) for p in params if str(p.get("provider_id", "")).isdigit()}
        self.departments = departement_names() if any("department" in p for p in params) else {}
        self.providers: dict[int, str] = {}
        if providers:
            rows = db.session.execute(select(Provider.id, Provider.name).where(Provider.id.in_(providers)))
            self.providers = dict(rows.tuples().all())

    def department(self, code: Any) -> str:
        name = self.departments.get(str(code))
        return f"{name} ({code})" if name else str(code)

    def provider(self, provider_id: Any) -> str:
        name = self.providers.get(int(provider_id)) if str(provider_id).isdigit() else None
        return name or _("prestataire n° %(id)s", id=provider_id)


def _bound(value: Any) -> str:
    return format_decimal(float(value or 0), format="0.0000")


def _int(value: Any) -> int:
    return int(value or 0)


def _count(value: Any) -> str:
    return format_decimal(_int(value), format="#,##0")


def _percent(value: Any) -> str:
    """A fraction as a percentage in the reader's locale, to a thousandth of a point at most
    (0.525 → "52,5 %", "52.5%")."""
    return format_percent(round(float(value or 0), 5), locale=get_locale(), decimal_quantization=False)


def _stopped(reason: str) -> _Wording:
    """A streamed solve stopped by a budget: the rounds, its bound, the gap and the edges kept.
    ``reason``: the budget (already translated), worded before the figures."""

    def wording(p: Mapping[str, Any], n: _Names) -> str:
        return ngettext(
            "tarification arrêtée (%(reason)s) après %(num)d tour : borne %(bound)s, écart %(gap)s "
            "(%(kept)s arêtes gardées)",
            "tarification arrêtée (%(reason)s) après %(num)d tours : borne %(bound)s, écart %(gap)s "
            "(%(kept)s arêtes gardées)",
            _int(p.get("rounds")),
            reason=reason,
            bound=_bound(p.get("bound")),
            gap=_percent(p.get("gap")),
            kept=_count(p.get("kept")),
        )

    return wording


_Wording = Callable[[Mapping[str, Any], _Names], str]

_WORDING: dict[str, _Wording] = {
    "scores.zero_weights": lambda p, n: _("toutes les pondérations actives sont nulles : chaque score vaut 0"),
    "side.flow_exact": lambda p, n: _(
        "contraintes annexes résolues exactement par un flot sur toutes les offres candidates"
    ),
    "side.flow_relaxed": lambda p, n: _(
        "flot des contraintes annexes relâché (borne %(bound)s) : une offre y dépasse sa capacité, "
        "CP-SAT résout le modèle",
        bound=_bound(p.get("bound")),
    ),
    "side.min_clipped": lambda p, n: _(
        "minimum pour %(department)s ramené de %(wanted)d à %(available)d (besoins ayant des offres candidates)",
        department=n.department(p.get("department")),
        wanted=_int(p.get("wanted")),
        available=_int(p.get("available")),
    ),
    "cpsat.pruned": lambda p, n: _(
        "modèle réduit (%(top_k)d meilleures offres par besoin) : optimum du modèle réduit, "
        "optimalité non prouvée sur toutes les offres (borne : %(bound)s)",
        top_k=_int(p.get("top_k")),
        bound=_bound(p.get("bound")),
    ),
    "cpsat.pruned_priced": lambda p, n: _(
        "modèle réduit (%(top_k)d meilleures offres par besoin et arêtes retenues par la tarification du flot) : "
        "optimum du modèle réduit, optimalité non prouvée sur toutes les offres (borne : %(bound)s)",
        top_k=_int(p.get("top_k")),
        bound=_bound(p.get("bound")),
    ),
    "cpsat.repaired": lambda p, n: _("réponse : le flot des contraintes annexes réparé (meilleur que CP-SAT)"),
    "fallback.unknown": lambda p, n: _(
        "aucune solution trouvée par CP-SAT en %(seconds)s s ; propositions du flot optimal sans contraintes annexes",
        seconds=format_decimal(float(p.get("seconds") or 0), format="0.##"),
    ),
    "fallback.infeasible": lambda p, n: _(
        "contraintes annexes impossibles à respecter sur le modèle ; "
        "propositions du flot optimal sans contraintes annexes"
    ),
    "fallback.status": lambda p, n: _(
        "CP-SAT : %(status)s ; propositions du flot optimal sans contraintes annexes", status=p.get("status", "")
    ),
    "unmet.territory_share": lambda p, n: _(
        "contrainte non respectée (part par territoire) : %(provider)s a %(count)d propositions pour "
        "%(department)s (plafond %(cap)d)",
        provider=n.provider(p.get("provider_id")),
        count=_int(p.get("count")),
        department=n.department(p.get("department")),
        cap=_int(p.get("cap")),
    ),
    "unmet.min_per_department": lambda p, n: ngettext(
        "contrainte non respectée (minimum par département) : %(num)d proposition pour %(department)s, "
        "minimum %(wanted)d",
        "contrainte non respectée (minimum par département) : %(num)d propositions pour %(department)s, "
        "minimum %(wanted)d",
        _int(p.get("count")),
        department=n.department(p.get("department")),
        wanted=_int(p.get("wanted")),
    ),
    "unmet.two_experts": lambda p, n: ngettext(
        "contrainte non respectée (deux experts) : %(num)d besoin à deux experts servi par un seul",
        "contrainte non respectée (deux experts) : %(num)d besoins à deux experts servis par un seul",
        _int(p.get("count")),
    ),
    "unmet.more": lambda p, n: ngettext(
        "contrainte non respectée : %(num)d autre cas",
        "contrainte non respectée : %(num)d autres cas",
        _int(p.get("count")),
    ),
    "flow.two_experts_single": lambda p, n: ngettext(
        "%(num)d besoin à deux experts traité avec un seul expert (solveur flot) ; choisir le solveur CP-SAT",
        "%(num)d besoins à deux experts traités avec un seul expert (solveur flot) ; choisir le solveur CP-SAT",
        _int(p.get("count")),
    ),
    "priced.optimal": lambda p, n: ngettext(
        "optimal (tarification) : %(num)d tour de tarification, %(kept)s arêtes gardées sur %(usable)s",
        "optimal (tarification) : %(num)d tours de tarification, %(kept)s arêtes gardées sur %(usable)s",
        _int(p.get("rounds")),
        kept=_count(p.get("kept")),
        usable=_count(p.get("usable")),
    ),
    "priced.stopped": lambda p, n: ngettext(
        "tarification arrêtée après %(num)d tour : écart à la borne %(gap)s",
        "tarification arrêtée après %(num)d tours : écart à la borne %(gap)s",
        _int(p.get("rounds")),
        gap=_bound(p.get("gap")),
    ),
    "streamed.all_edges": lambda p, n: _(
        "optimal : flot sur toutes les %(kept)s arêtes utilisables (%(generated)s générées en flux)",
        kept=_count(p.get("kept")),
        generated=_count(p.get("generated")),
    ),
    "streamed.optimal": lambda p, n: ngettext(
        "optimal (tarification en flux) : %(num)d tour, %(kept)s arêtes gardées sur %(usable)s "
        "(%(generated)s générées)",
        "optimal (tarification en flux) : %(num)d tours, %(kept)s arêtes gardées sur %(usable)s "
        "(%(generated)s générées)",
        _int(p.get("rounds")),
        kept=_count(p.get("kept")),
        usable=_count(p.get("usable")),
        generated=_count(p.get("generated")),
    ),
    "streamed.stopped_time": lambda p, n: _stopped(_("limite de temps"))(p, n),
    "streamed.stopped_edges": lambda p, n: _stopped(_("budget d'arêtes"))(p, n),
    "streamed.stopped_rounds": lambda p, n: _stopped(_("nombre de tours"))(p, n),
    "semantic.not_requested": lambda p, n: _("aucun vecteur de texte demandé"),
    "semantic.no_texts": lambda p, n: _("pas de textes"),
    "semantic.unavailable": lambda p, n: _("modèle de langue indisponible (%(reason)s)", reason=p.get("reason", "")),
}


def _worded(note: StoredNote, names: _Names) -> Markup:
    """One note in the reader's language; the stored French text (a plain string, an unknown code)
    marked as French in a page of another language."""
    if isinstance(note, Mapping):
        maker = _WORDING.get(str(note.get("code")))
        if maker is not None:
            return escape(maker(note.get("params") or {}, names))
        note = str(note.get("text") or note.get("code") or "")
    return user_text(note, lang=SOURCE_LANGUAGE)


def notes_html(notes: Iterable[StoredNote] | None) -> Markup:
    """Template helper: a run's notes, worded and joined with the catalogue's " ; "."""
    notes = [n for n in notes or [] if n]
    if not notes:
        return Markup("")
    names = _Names(notes)
    return escape(_(" ; ")).join(_worded(n, names) for n in notes)


def note_html(note: StoredNote | None) -> Markup:
    """Template helper: one note (why the text similarity is off)."""
    return notes_html([note] if note else [])
