"""Match runs: a staff member starts one, the job builds the instance from the rows, runs the
engine (`matching`), stores the proposals with their explanations; progress, heartbeat, failure
and restart of a run whose worker died; the embeddings the engine reads. Services flush, never
commit (except the run job, which reports its progress)."""

from __future__ import annotations

import functools
import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

import matching
from app.accounts.models import User
from app.core.errors import Forbidden, ServiceError
from app.core.jobs import beating, enqueue, heartbeat_interval, stale_seconds
from app.core.models import utcnow
from app.directory.models import Offer
from app.extensions import db
from app.matches.explanations import stored_phrases
from app.matches.instance import Vocabulary, build_instance, need_text, offer_text
from app.matches.models import EmbeddingVector, MatchRun, Proposal, RunStatus
from app.matches.models import ProposalStatus as P
from app.matches.notes import stored_note, stored_notes
from app.matches.services import _aware, _log, _move
from app.needs.models import Need
from app.needs.models import NeedStatus as NS
from app.needs.services import move_need
from app.territory.models import Commune
from matching.embeddings import try_load_embedder
from matching.explain import pair_member_phrases

log = logging.getLogger(__name__)

SOLVERS = ("flow", "priced", "cpsat", "greedy")

# ------------------------------------------------------------------ runs


def start_run(
    actor: User,
    weights: dict,
    solver: str = "flow",
    dep_codes: list[str] | None = None,
    k_alternatives: int = 3,
    time_limit: float = 10.0,
    side_constraints: dict | None = None,
) -> MatchRun:
    if not actor.is_staff:
        raise Forbidden(_("Seule l'équipe du Hub lance la mise en relation."))
    if solver not in SOLVERS:
        raise ServiceError(_("Solveur inconnu."), field="solver")
    bad = [k for k, v in weights.items() if k not in matching.COMPONENTS or v is None or v < 0]
    if bad:
        raise ServiceError(_("Poids invalides : %(names)s", names=", ".join(bad)), field="weights")
    if not any(v > 0 for v in weights.values()):
        raise ServiceError(_("Au moins un poids doit être positif."), field="weights")
    side = dict(side_constraints or {})
    if side and solver != "cpsat":
        raise ServiceError(_("Les contraintes supplémentaires demandent la méthode CP-SAT."), field="solver")
    run = MatchRun(
        created_by_id=actor.id,
        solver=solver,
        weights=dict(weights),
        params={
            "dep_codes": sorted(set(dep_codes or [])),
            "k_alternatives": k_alternatives,
            "time_limit": time_limit,
            "side_constraints": side,
        },
    )
    db.session.add(run)
    db.session.flush()
    enqueue(run_match_job, run.id, queue="matching")
    return run


class RunAbandoned(Exception):
    """This execution no longer owns its run: it was given up for dead (then maybe restarted)."""


def run_match_job(run_id: int, attempt: int | None = None) -> None:
    """RQ entry point (and in-process): runs the engine and stores the proposals.

    The job claims its run (queued → running, for its execution number) with one
    compare-and-set UPDATE, so a job delivered twice runs once; while it works it
    beats (`heartbeat_at`) at each progress step and from a background thread."""
    run = db.session.get(MatchRun, run_id)
    if run is None:
        return
    attempt = attempt or run.attempt  # jobs queued before executions were numbered carry none
    now = utcnow()
    claimed = db.session.execute(
        update(MatchRun)
        .where(MatchRun.id == run_id, MatchRun.attempt == attempt, MatchRun.status == RunStatus.QUEUED)
        .values(status=RunStatus.RUNNING, started_at=now, heartbeat_at=now, error=None, failure=None, finished_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        log.info("match run %s, execution %s: not queued any more, nothing to do", run_id, attempt)
        return
    db.session.commit()
    db.session.refresh(run)
    try:
        # The background beat needs a database where a second writer waits its turn. On SQLite
        # (one writer at a time, the embedded default) it could make the job's own writes fail
        # as deadlocked, so there the job beats at each progress step only.
        beats = (
            nullcontext()
            if _sqlite()
            else beating(functools.partial(_beat, db.engine, run_id, attempt), heartbeat_interval())
        )
        with beats:
            execute_run(run, attempt)
            db.session.commit()
    except RunAbandoned:
        db.session.rollback()
        log.warning("match run %s: execution %s was given up for dead; its result is dropped", run_id, attempt)
    except Exception as exc:
        db.session.rollback()
        _mark_failed(run_id, attempt, "error", f"{type(exc).__name__}: {exc}")
        db.session.commit()
        log.exception("match run %s failed", run_id)


def _still_running(run_id: int, attempt: int) -> bool:
    """Beat through the session (inside the job's transaction): False when the run is not
    this execution's any more. The UPDATE also locks the row until the commit."""
    return bool(
        db.session.execute(
            update(MatchRun)
            .where(MatchRun.id == run_id, MatchRun.attempt == attempt, MatchRun.status == RunStatus.RUNNING)
            .values(heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def _sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def _test_pause(run_id: int, attempt: int, seconds: float) -> None:
    """A pause inside a progress step, alive as a long solver phase is: the background thread
    beats meanwhile; on SQLite (no background beat), the pause beats between its slices."""
    if not _sqlite():
        time.sleep(seconds)
        return
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(min(heartbeat_interval(), max(0.0, end - time.monotonic())))
        if not _still_running(run_id, attempt):
            raise RunAbandoned(run_id)
        db.session.commit()


def _beat(engine, run_id: int, attempt: int) -> None:
    """The background beat: its own connection and transaction, never the job's session."""
    table = MatchRun.__table__
    with engine.begin() as connection:
        connection.execute(
            table.update()
            .where(table.c.id == run_id, table.c.attempt == attempt, table.c.status == RunStatus.RUNNING)
            .values(heartbeat_at=utcnow())
        )


def _mark_failed(run_id: int, attempt: int, failure: str, error: str) -> bool:
    return bool(
        db.session.execute(
            update(MatchRun)
            .where(MatchRun.id == run_id, MatchRun.attempt == attempt, MatchRun.status == RunStatus.RUNNING)
            .values(status=RunStatus.FAILED, failure=failure, error=error, finished_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def sweep_stale_runs(now: datetime | None = None) -> int:
    """Mark failed every running run whose job has not beaten for JOB_STALE_SECONDS (its worker
    died: killed, out of memory, machine restarted). One UPDATE, safe to run anywhere and
    concurrently: a job that beats in the meantime is not touched. Returns how many were marked."""
    now = now or utcnow()
    limit = stale_seconds()
    last_sign = func.coalesce(MatchRun.heartbeat_at, MatchRun.started_at, MatchRun.created_at)
    stale = (MatchRun.status == RunStatus.RUNNING, last_sign < now - timedelta(seconds=limit))
    # Pages call this on every view: read first, write only when there is something to mark
    # (on SQLite a write, even of no row, takes the database's write lock).
    if db.session.scalar(select(MatchRun.id).where(*stale).limit(1)) is None:
        return 0
    result = db.session.execute(
        update(MatchRun)
        .where(*stale)
        .values(
            status=RunStatus.FAILED,
            failure=WORKER_LOST,
            finished_at=now,
            error=f"no heartbeat for {limit:g} s (worker killed or restarted)",
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        log.warning("%d match run(s) without heartbeat for %g s marked failed", result.rowcount, limit)
        db.session.expire_all()
    return result.rowcount


WORKER_LOST = "worker_lost"


def failure_message(run: MatchRun) -> str:
    """The reason a failed run shows on its page, in the reader's language."""
    if run.failure == WORKER_LOST:
        last_sign = run.heartbeat_at or run.started_at or run.created_at
        silence = (
            int((_aware(run.finished_at) - _aware(last_sign)).total_seconds())
            if run.finished_at and last_sign
            else int(stale_seconds())
        )
        return _(
            "L'exécution s'est interrompue à l'étape « %(stage)s » (%(percent)d %%) : le processus qui la "
            "calculait ne donnait plus signe de vie depuis %(seconds)d s (arrêté, tué ou redémarré).",
            stage=run.stage,
            percent=run.percent,
            seconds=silence,
        )
    return _("L'exécution a échoué : %(error)s", error=run.error or "")


def restart_run(actor: User, run_id: int, attempt: int) -> bool:
    """Staff restart a failed run: the same run, queued again as execution `attempt + 1`.

    `attempt` is the execution the staff member saw failed (the page sends it): one
    compare-and-set UPDATE (failed, that execution → queued, the next) lets exactly one
    of several clicks or tabs through. True: restarted; False: already restarted by
    another click. A run still alive, or done, cannot be restarted (ServiceError)."""
    if not actor.is_staff:
        raise Forbidden(_("Seule l'équipe du Hub lance la mise en relation."))
    sweep_stale_runs()  # a dead run not yet swept can be restarted at once
    restarted = db.session.execute(
        update(MatchRun)
        .where(MatchRun.id == run_id, MatchRun.attempt == attempt, MatchRun.status == RunStatus.FAILED)
        .values(
            status=RunStatus.QUEUED,
            attempt=attempt + 1,
            stage="queued",
            percent=0,
            error=None,
            failure=None,
            started_at=None,
            heartbeat_at=None,
            finished_at=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire_all()
    if restarted:
        log.info("match run %s restarted by user %s (execution %s)", run_id, actor.id, attempt + 1)
        enqueue(run_match_job, run_id, attempt + 1, queue="matching")
        return True
    run = db.session.get(MatchRun, run_id)
    if run is None:
        raise ServiceError(_("Cette exécution n'existe pas."))
    if run.attempt > attempt:
        return False
    if run.status == RunStatus.DONE:
        raise ServiceError(_("Cette exécution est terminée : il n'y a rien à relancer."))
    if run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        raise ServiceError(_("Cette exécution est toujours en cours : elle ne peut pas être relancée."))
    raise ServiceError(_("Ce formulaire est périmé : rechargez la page de l'exécution."))


class DbEmbeddingCache:
    """Embedding cache backed by the embedding_vector table (get_many/put_many)."""

    def get_many(self, keys):
        found = {}
        keys = list(keys)
        for start in range(0, len(keys), 500):
            for row in db.session.scalars(
                select(EmbeddingVector).where(EmbeddingVector.key.in_(keys[start : start + 500]))
            ):
                found[row.key] = np.frombuffer(row.vector, dtype=np.float32)
        return found

    def put_many(self, items):
        for key, vector in items.items():
            db.session.merge(EmbeddingVector(key=key, vector=np.asarray(vector, dtype=np.float32).tobytes()))
        db.session.flush()


def _embedder():
    mode = current_app.config.get("MATCHING_EMBEDDINGS", "auto")
    if mode in (False, "off", "0", None):
        return None
    embedder, _reason = try_load_embedder(cache=DbEmbeddingCache())
    return embedder


def warm_embeddings(need_ids: list[int] | tuple = (), offer_ids: list[int] | tuple = ()) -> int:
    """A job after a need or an offer is saved: embed its text now, so runs find it cached."""
    embedder = _embedder()
    if embedder is None:
        return 0
    needs = [n for n in (db.session.get(Need, i) for i in need_ids) if n is not None]
    offers = [o for o in (db.session.get(Offer, i) for i in offer_ids) if o is not None]
    if needs:
        embedder.embed([need_text(n) for n in needs], "query")
    if offers:
        embedder.embed([offer_text(o) for o in offers], "passage")
    return len(needs) + len(offers)


def execute_run(run: MatchRun, attempt: int | None = None) -> None:
    attempt = attempt or run.attempt
    test_delay = float(current_app.config.get("MATCH_TEST_DELAY_SECONDS") or 0)

    def progress(stage: str, percent: int) -> None:
        run.stage, run.percent = stage, int(percent)
        if not _still_running(run.id, attempt):
            raise RunAbandoned(run.id)
        db.session.commit()  # visible to the page that polls the run
        if test_delay:  # tests only (MATCH_TEST_DELAY_SECONDS): time to kill the worker mid-run
            _test_pause(run.id, attempt, test_delay)

    progress("preparation", 0)
    built = build_instance(run.params.get("dep_codes") or None)
    weights = {**matching.DEFAULT_WEIGHTS, **run.weights}
    embedder = _embedder() if weights.get("semantic", 0) > 0 else None  # no model load for a zero weight
    started = time.perf_counter()
    side = run.params.get("side_constraints") or {}
    solver = pair_solver(run.solver, built.two_expert_needs)
    result = matching.solve_instance(
        built.instance,
        run.weights,
        solver=solver,
        side_constraints=matching.SideConstraints(**side) if solver == "cpsat" else None,
        k_alternatives=int(run.params.get("k_alternatives", 3)),
        time_limit=float(run.params.get("time_limit", 10.0)),
        embed=embedder if embedder is not None else None,
        skill_labels=built.vocabulary.skill_labels(),
        category_labels=built.vocabulary.category_labels(),
        fixed=built.fixed,
        progress=lambda stage, pct: progress(stage, 5 + int(pct * 0.85)),
        stream_pairs=stream_pairs(),
    )
    progress("enregistrement", 92)
    store_result(run, result, built.vocabulary)
    if not _still_running(run.id, attempt):  # locks the row: no sweep between this check and the commit
        raise RunAbandoned(run.id)
    run.status, run.stage, run.percent, run.finished_at = RunStatus.DONE, "done", 100, utcnow()
    run.n_candidates, run.objective, run.bound = result.n_candidates, result.objective, result.bound
    run.solve_seconds, run.total_seconds = result.solve_seconds, time.perf_counter() - started
    run.semantic_enabled = result.semantic_enabled
    run.figures = {
        **(run.figures or {}),
        **{k: _plain(v) for k, v in result.figures().items()},
        "proposals": len(result.proposals) - run.figures.get("pairs_withheld", 0),
        "unmatched": len(result.unmatched) + run.figures.get("pairs_withheld", 0),
        "fixed": len(built.fixed),
        "skipped_needs_without_coordinates": len(built.skipped_needs),
        "semantic_note": stored_note(result.semantic_note),
        "notes": stored_notes(result.notes),
        "two_expert_needs": built.two_expert_needs,
        "pairs": sum(1 for p in result.proposals if len(p.offer_ids) == 2),
        "solver_used": result.solver,  # (the exact flow streams on a large catalogue: "streamed")
    }


def stream_pairs() -> int | None:
    """The raw pairs at or above which a run of the exact method streams its candidate edges
    (`MATCHING_STREAM_PAIRS`; the library's threshold when unset, never when negative)."""
    pairs = current_app.config.get("MATCHING_STREAM_PAIRS")
    if pairs is None:
        return matching.STREAM_PAIRS
    return None if int(pairs) < 0 else int(pairs)


def pair_solver(solver: str, two_expert_needs: int) -> str:
    """The solver a run uses: the one staff chose, except that needs asking for two complementary
    experts take CP-SAT (the other solvers give every need one offer; CP-SAT proposes pairs)."""
    return "cpsat" if two_expert_needs else solver


def _plain(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def store_result(run: MatchRun, result, vocabulary: Vocabulary | None = None) -> None:
    """Stores the run's proposals with their explanations: the French sentence and its phrases
    (codes and parameters, skills and categories by their codes: ``vocabulary``, the run's)."""
    vocabulary = vocabulary or Vocabulary.current()
    skill_codes = {i: code for code, i in vocabulary.skill_ids.items()}
    category_codes = {i: code for code, i in vocabulary.category_ids.items()}

    def phrases(item) -> list:
        return stored_phrases(item.phrases, skill_codes, category_codes)

    # A need that asks for two complementary experts is never proposed one alone (the answer CP-SAT falls
    # back to when it finds nothing in time gives every need one offer): it waits for a pair.
    two_expert_ids = set(
        db.session.scalars(
            select(Need.id).where(Need.id.in_([p.need_id for p in result.proposals] or [-1]), Need.two_experts)
        )
    )
    items = [p for p in result.proposals if len(p.offer_ids) == 2 or p.need_id not in two_expert_ids]
    run.figures = {**(run.figures or {}), "pairs_withheld": len(result.proposals) - len(items)}
    proposed_need_ids = [p.need_id for p in items]
    # Undecided proposals of earlier runs for these needs are superseded.
    for old in db.session.scalars(
        select(Proposal).where(Proposal.need_id.in_(proposed_need_ids or [-1]), Proposal.status == P.PROPOSED)
    ):
        _move(old, None, P.SUPERSEDED, "superseded", details={"run_id": run.id})
    for item in items:
        alternatives = [
            {
                "offer_id": a.offer_id,
                "provider_id": a.provider_id,
                "score": float(a.score),
                "explanation": a.explanation,
                "phrases": phrases(a),
                "saturated": bool(a.offer_saturated),
            }
            for a in item.alternatives
        ]
        if len(item.offer_ids) == 1:
            members = [(item.offer_id, item.provider_ids[0], item.components, item.explanation, phrases(item))]
        else:  # two complementary experts: one proposal each, told as that expert's part of the pair
            members = []
            for i in (0, 1):
                own = pair_member_phrases(item.details[i], item.details[1 - i]) if item.details else ()
                members.append(
                    (
                        item.offer_ids[i],
                        item.provider_ids[i],
                        item.details[i].components if item.details else item.components,
                        " ; ".join(ph.text for ph in own),
                        stored_phrases(own, skill_codes, category_codes),
                    )
                )
        stored = []
        for offer_id, provider_id, components, text, worded in members:
            proposal = Proposal(
                run=run,
                need_id=item.need_id,
                offer_id=offer_id,
                provider_id=provider_id,
                score=float(item.score),
                components=_plain(dict(components)),
                explanation=text,
                explanation_phrases=worded,
                alternatives=alternatives,
            )
            db.session.add(proposal)
            stored.append(proposal)
        db.session.flush()
        if len(stored) == 2:
            stored[0].partner_id, stored[1].partner_id = stored[1].id, stored[0].id
        for proposal in stored:
            details = {"run_id": run.id, "score": round(float(item.score), 4)}
            if proposal.partner_id:
                details["partner_id"] = proposal.partner_id
            _log(proposal, None, "proposed", None, P.PROPOSED, details=details)
        need = db.session.get(Need, item.need_id)
        if need.status == NS.OPEN:
            move_need(None, need, NS.PROPOSED, system=True)


# ------------------------------------------------------------------ the run page: filters and pages

PROPOSALS_PER_PAGE = 20


@dataclass(frozen=True)
class ProposalFilters:
    """What staff narrow a run's proposals to: a département, a status, a minimum score and a
    minimum skills coverage (both in %, 0–100). Built from the page's query string; a value that
    makes no sense is ignored (the filter is off), never an error."""

    dep: str = ""
    status: str = ""
    min_score: int | None = None
    min_coverage: int | None = None

    @classmethod
    def from_args(cls, args) -> ProposalFilters:
        dep = (args.get("dep") or "").strip().upper()
        status = args.get("statut") or ""
        return cls(
            dep=dep if len(dep) <= 3 and dep.isalnum() else "",
            status=status if status in {s.value for s in P} else "",
            min_score=_percent(args.get("score")),
            min_coverage=_percent(args.get("couverture")),
        )

    def args(self) -> dict[str, str | int]:
        """The query string of these filters (for links and the way back after a decision)."""
        out: dict[str, str | int] = {}
        if self.dep:
            out["dep"] = self.dep
        if self.status:
            out["statut"] = self.status
        if self.min_score is not None:
            out["score"] = self.min_score
        if self.min_coverage is not None:
            out["couverture"] = self.min_coverage
        return out


def _percent(value) -> int | None:
    text = str(value or "").strip().rstrip("%").strip()
    if not text.isdigit():
        return None
    number = int(text)
    return number if 0 <= number <= 100 else None


@dataclass(frozen=True)
class ProposalPage:
    items: list
    total: int
    page: int
    pages: int


def run_proposals(run: MatchRun, filters: ProposalFilters, page: int = 1, per_page: int = PROPOSALS_PER_PAGE):
    """One page of a run's proposals, best score first, narrowed by ``filters``. A page past the
    end shows the last one."""
    stmt = (
        select(Proposal)
        .where(Proposal.run_id == run.id)
        .options(
            selectinload(Proposal.need).selectinload(Need.commune),
            selectinload(Proposal.need).selectinload(Need.organisation),
            selectinload(Proposal.offer),
            selectinload(Proposal.provider),
            selectinload(Proposal.partner).selectinload(Proposal.offer),
            selectinload(Proposal.partner).selectinload(Proposal.provider),
        )
        # two complementary experts: one card, under the first of their two proposals
        .where(or_(Proposal.partner_id.is_(None), Proposal.partner_id > Proposal.id))
        .order_by(Proposal.score.desc(), Proposal.id)
    )
    if filters.dep:
        stmt = (
            stmt.join(Need, Proposal.need_id == Need.id)
            .join(Commune, Need.commune_insee == Commune.insee)
            .where(Commune.dep_code == filters.dep)
        )
    if filters.status:
        stmt = stmt.where(Proposal.status == P(filters.status))
    if filters.min_score is not None:
        stmt = stmt.where(Proposal.score >= filters.min_score / 100 - 1e-9)
    proposals = list(db.session.scalars(stmt))
    if filters.min_coverage is not None:  # a component of the score, kept as JSON
        floor = filters.min_coverage / 100 - 1e-9
        proposals = [p for p in proposals if float((p.components or {}).get("skills", 0) or 0) >= floor]
    total = len(proposals)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    return ProposalPage(proposals[(page - 1) * per_page : page * per_page], total, page, pages)
