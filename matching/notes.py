"""Notes of a run: what the engine tells staff about how it got its answer, as codes.

A :class:`Note` is a ``code`` and its ``params`` (plain values: numbers, strings, ids), like the
phrases of an explanation (:class:`matching.components.Phrase`).  The library never words them for a
reader: an application words each code in its reader's language (the app does it in
``app/matches/notes.py``, through its catalogues).  :attr:`Note.text` is the French wording kept here
for the benchmark and the command line, and as the stored fallback of a code an application does not
know yet.

The codes (``params`` in brackets):

* ``scores.zero_weights``: every enabled weight is zero, every score is 0;
* ``side.flow_exact``: the side constraints solved exactly by the side flow;
* ``side.flow_relaxed`` [bound]: the side flow is a relaxation (an offer over capacity), CP-SAT solves;
* ``side.min_clipped`` [department, wanted, available]: a département's minimum lowered to the needs
  that have a candidate;
* ``cpsat.pruned`` / ``cpsat.pruned_priced`` [top_k, bound]: optimum of the reduced model only;
* ``cpsat.repaired``: the answer is the repaired side flow (better than CP-SAT's);
* ``fallback.unknown`` [seconds] / ``fallback.infeasible`` / ``fallback.status`` [status]: CP-SAT gave
  no answer, the proposals are the flow optimum without side constraints;
* ``unmet.territory_share`` [provider_id, department, count, cap], ``unmet.min_per_department``
  [department, count, wanted], ``unmet.two_experts`` [count], ``unmet.more`` [count]: the side
  constraints that fallback answer does not meet;
* ``flow.two_experts_single`` [count]: two-expert needs served by one expert (flow solver);
* ``priced.optimal`` [rounds, kept, usable] / ``priced.stopped`` [rounds, gap]: the priced flow;
* ``streamed.all_edges`` [kept, generated] / ``streamed.optimal`` [rounds, kept, usable, generated] /
  ``streamed.stopped_time`` / ``_edges`` / ``_rounds`` [rounds, bound, gap, kept]: the streamed solver
  (one flow on every usable edge; priced and proven; stopped by its time, edge or round budget, with
  the bound and the gap of its answer);
* ``semantic.not_requested`` / ``semantic.no_texts`` / ``semantic.unavailable`` [reason]: why the
  text similarity is off (``reason``: a technical message, not worded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["NOTE_TEXTS", "Note", "note_text"]

_FLOW_ANSWER = " ; propositions du flot optimal sans contraintes annexes"
_STOPPED = " après {rounds} tour(s) : borne {bound:.4f}, écart {gap:.3%} ({kept} arêtes gardées)"

#: The French wording of each code (``str.format`` with the note's params).
NOTE_TEXTS: Mapping[str, str] = MappingProxyType(
    {
        "scores.zero_weights": "toutes les pondérations actives sont nulles : chaque score vaut 0",
        "side.flow_exact": "contraintes annexes résolues exactement par un flot sur toutes les offres candidates",
        "side.flow_relaxed": (
            "flot des contraintes annexes relâché (borne {bound:.4f}) : "
            "une offre y dépasse sa capacité, CP-SAT résout le modèle"
        ),
        "side.min_clipped": (
            "minimum du département {department} ramené de {wanted} à {available} (besoins ayant des offres candidates)"
        ),
        "cpsat.pruned": (
            "modèle réduit ({top_k} meilleures offres par besoin) : optimum du modèle réduit, "
            "optimalité non prouvée sur toutes les offres (borne : {bound:.4f})"
        ),
        "cpsat.pruned_priced": (
            "modèle réduit ({top_k} meilleures offres par besoin et arêtes retenues par la tarification "
            "du flot) : optimum du modèle réduit, optimalité non prouvée sur toutes les offres (borne : {bound:.4f})"
        ),
        "cpsat.repaired": "réponse : le flot des contraintes annexes réparé (meilleur que CP-SAT)",
        "fallback.unknown": "aucune solution trouvée par CP-SAT en {seconds:g} s" + _FLOW_ANSWER,
        "fallback.infeasible": "contraintes annexes impossibles à respecter sur le modèle" + _FLOW_ANSWER,
        "fallback.status": "CP-SAT : {status}" + _FLOW_ANSWER,
        "unmet.territory_share": (
            "contrainte non respectée (part par territoire) : le prestataire {provider_id} a {count} "
            "propositions dans le département {department} (plafond {cap})"
        ),
        "unmet.min_per_department": (
            "contrainte non respectée (minimum par département) : {count} propositions dans le "
            "département {department}, {wanted} demandées"
        ),
        "unmet.two_experts": (
            "contrainte non respectée (deux experts) : {count} besoin(s) à deux experts servi(s) par un seul"
        ),
        "unmet.more": "contrainte non respectée : {count} autre(s) cas",
        "flow.two_experts_single": (
            "{count} besoin(s) à deux experts traité(s) avec un seul expert (solveur flow) ; utiliser solver='cpsat'"
        ),
        "priced.optimal": "optimal (priced): {rounds} tour(s) de tarification, {kept} arêtes gardées sur {usable}",
        "priced.stopped": "tarification arrêtée après {rounds} tour(s) : écart à la borne {gap:.4f}",
        "streamed.all_edges": "optimal : flot sur toutes les {kept} arêtes utilisables ({generated} générées en flux)",
        "streamed.optimal": (
            "optimal (tarification en flux) : {rounds} tour(s), {kept} arêtes gardées sur {usable} ({generated} générées)"
        ),
        "streamed.stopped_time": "tarification arrêtée (limite de temps)" + _STOPPED,
        "streamed.stopped_edges": "tarification arrêtée (budget d'arêtes)" + _STOPPED,
        "streamed.stopped_rounds": "tarification arrêtée (nombre de tours)" + _STOPPED,
        "semantic.not_requested": "sémantique désactivée (pas d'embeddings demandés)",
        "semantic.no_texts": "sémantique désactivée (pas de textes)",
        "semantic.unavailable": "sémantique désactivée ({reason})",
    }
)


def note_text(code: str, params: Mapping[str, Any]) -> str:
    """The French wording of a note (its code and params when the code or a param is unknown)."""
    template = NOTE_TEXTS.get(code)
    if template is not None:
        try:
            return template.format(**params)
        except (KeyError, ValueError, TypeError):
            pass
    return code + (" " + ", ".join(f"{k}={v}" for k, v in params.items()) if params else "")


@dataclass(frozen=True)
class Note:
    """One note of a run: a ``code`` (see the module doc) and its ``params``."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The French wording (benchmark, command line; the app words the code itself)."""
        return note_text(self.code, self.params)

    def __str__(self) -> str:
        return self.text
