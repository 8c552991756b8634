"""Vouchers (chèques d'accompagnement numérique): codes, programmes and the status machine.

Codes (``HUB-XXXX-XXXX-XXXX-C``): `payments.voucher_codes`. The mission rule (which voucher may pay
for which mission): `payments.rules.mission_voucher_refusal`.

Status machine (each move is one function; illegal moves raise a named
exception; every move writes the ledger in the caller's transaction)::

    issued ──reserve──▶ reserved ──redeem──▶ redeemed
      ▲                    │
      └──────release───────┘
    issued ──block (15 days before expiry)──▶ blocked
    issued | blocked | reserved ──expire (at expiry)──▶ expired  (value back to the funder)

Ledger: the value of a voucher sits in the programme sub-account of its
status — ``programme:P:fund`` (funded, not issued) → ``programme:P:issued`` →
``programme:P:reserved`` → ``provider:X:payable`` on redemption;
``programme:P:blocked``; ``funder:F:credit`` on expiry. So at any time
``-balance(programme:P:<status>)`` equals the face value of the programme's
vouchers in that status, and no value is counted twice.

Concurrency: each move is a compare-and-set UPDATE on (id, version, status);
of two concurrent moves of one voucher, exactly one matches, the other sees the
new state and raises (e.g. `VoucherAlreadyRedeemed`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from . import checkout, ledger, rules
from .codes import Ineligibility, ProgrammeStatus, VoucherStatus
from .errors import (
    IllegalVoucherMove,
    InsufficientProgrammeFunds,
    NotEligible,
    ProgrammeError,
    ProgrammeNotFunded,
    VoucherAlreadyRedeemed,
    VoucherAlreadyReserved,
    VoucherBlocked,
    VoucherExpired,
    VoucherNotForMission,
    VoucherNotFound,
    VoucherNotReserved,
    VoucherNotYetValid,
    WrongReservation,
)
from .interface import PaymentGateway, PaymentIntentInfo
from .models import models_for, utcnow
from .programmes import available_cents as available_cents
from .programmes import close_programme as close_programme
from .programmes import create_programme as create_programme
from .programmes import lock_programme
from .programmes import on_programme_funded as on_programme_funded
from .programmes import programme_figures as programme_figures
from .rules import MISSION_COVERED as MISSION_COVERED
from .rules import MISSION_FREE as MISSION_FREE
from .rules import MISSION_NOT_VOUCHER as MISSION_NOT_VOUCHER
from .rules import MISSION_OVER_PRICE as MISSION_OVER_PRICE
from .rules import VOUCHER_PRICE_MODES as VOUCHER_PRICE_MODES
from .rules import Eligibility, MissionTerms, OrganisationFacts, mission_voucher_refusal, utc
from .voucher_codes import ALPHABET as ALPHABET
from .voucher_codes import CHECK_SYMBOLS as CHECK_SYMBOLS
from .voucher_codes import check_symbol as check_symbol
from .voucher_codes import format_code as format_code
from .voucher_codes import generate_code, normalise_code
from .voucher_codes import validate_code as validate_code

# ---------------------------------------------------------------- programmes


def start_programme_funding(
    session: Session,
    gateway: PaymentGateway,
    programme: Any,
    *,
    amount_cents: int | None = None,
    customer: str | None = None,
    payment_method: str | None = None,
    confirm: bool = False,
) -> tuple[Any, PaymentIntentInfo]:
    """The funder pays the programme (its budget by default) through a PaymentIntent;
    the vouchers become usable when it succeeds (webhook or immediate answer)."""
    if programme.status == ProgrammeStatus.CLOSED:
        raise ProgrammeError("programme closed")
    amount = programme.budget_cents if amount_cents is None else amount_cents
    payment, info = checkout.start_payment(
        session,
        gateway,
        amount_cents=amount,
        purpose="programme_funding",
        settlement=rules.programme_funding_settlement(programme.id, amount),
        reference=f"programme:{programme.id}",
        payer_ref=f"funder:{programme.funder_id}",
        customer=customer,
        payment_method=payment_method,
        confirm=confirm,
        currency=programme.currency.lower(),
    )
    if programme.status == ProgrammeStatus.DRAFT:
        programme.status = ProgrammeStatus.AWAITING_PAYMENT.value
        session.flush()
    return payment, info


def held_vouchers(session: Session, programme: Any, organisation_id: int) -> int:
    """The vouchers of ``programme`` the organisation holds, whatever their status."""
    V = models_for(session).Voucher
    return int(
        session.execute(
            select(func.count())
            .select_from(V)
            .where(V.programme_id == programme.id, V.organisation_id == organisation_id)
        ).scalar_one()
    )


def siret_used_by_other(session: Session, programme: Any, organisation: OrganisationFacts) -> bool:
    """Another organisation holds vouchers of ``programme`` under the same SIRET."""
    siret = (organisation.siret or "").replace(" ", "")
    if not siret:
        return False
    V = models_for(session).Voucher
    count = session.execute(
        select(func.count())
        .select_from(V)
        .where(V.programme_id == programme.id, V.holder_siret == siret, V.organisation_id != organisation.id)
    ).scalar_one()
    return int(count) > 0


def eligibility_refusals(
    session: Session, programme: Any, organisation: OrganisationFacts, *, requested: int = 1, pending: int = 0
) -> list[Ineligibility]:
    """Why ``organisation`` may not have ``requested`` more vouchers of ``programme`` (codes; empty:
    it may): the one place eligibility is judged, by the app's pages and by `issue_vouchers`.
    ``pending``: what it asked for and still waits for (the app's requests), counted as held."""
    return rules.eligibility_problems(
        Eligibility.from_json(programme.eligibility),
        organisation,
        requested=requested,
        already_held=held_vouchers(session, programme, organisation.id) + pending,
        siret_used_by_other=siret_used_by_other(session, programme, organisation),
    )


def issue_vouchers(
    session: Session,
    programme: Any,
    organisation: OrganisationFacts,
    count: int = 1,
    *,
    now: datetime | None = None,
    pending: int = 0,
) -> list[Any]:
    """Issue ``count`` vouchers of ``programme`` to ``organisation``, within the rules.

    Refuses: `ProgrammeNotFunded` (no succeeded funding yet), `NotEligible` (with
    the reasons, see `eligibility_refusals`; ``pending``: as there), `InsufficientProgrammeFunds`,
    `ProgrammeError` (count reached, programme over or too close to its end)."""
    if count <= 0:
        raise ValueError("count must be positive")
    m = models_for(session)
    V = m.Voucher
    now = utc(now or utcnow())
    programme = lock_programme(session, programme)  # one issuer at a time per programme
    if programme.status != ProgrammeStatus.FUNDED:
        raise ProgrammeNotFunded(f"programme {programme.id} is {programme.status}")
    problems = eligibility_refusals(session, programme, organisation, requested=count, pending=pending)
    if problems:
        raise NotEligible(problems)
    if programme.voucher_count is not None:
        issued = session.execute(select(func.count()).select_from(V).where(V.programme_id == programme.id)).scalar_one()
        if issued + count > programme.voucher_count:
            raise ProgrammeError(f"programme {programme.id}: {programme.voucher_count - issued} voucher(s) left")
    face = programme.face_value_cents
    if available_cents(session, programme) < face * count:
        raise InsufficientProgrammeFunds(f"programme {programme.id}: {available_cents(session, programme)} cents left")
    dates = rules.voucher_dates(
        now,
        validity_days=programme.validity_days,
        programme_valid_from=programme.valid_from,
        programme_valid_until=programme.valid_until,
    )
    if dates.blocks_at <= now:
        raise ProgrammeError(f"programme {programme.id} ends too soon to issue vouchers")
    vouchers = []
    for _ in range(count):
        for _attempt in range(5):
            try:
                with session.begin_nested():
                    voucher = V(
                        code=generate_code(),
                        programme_id=programme.id,
                        organisation_id=organisation.id,
                        holder_siret=(organisation.siret or "").replace(" ", "") or None,
                        status=VoucherStatus.ISSUED.value,
                        face_value_cents=face,
                        currency=programme.currency,
                        issued_at=now,
                        valid_from=dates.valid_from,
                        blocks_at=dates.blocks_at,
                        expires_at=dates.expires_at,
                        version=1,
                    )
                    session.add(voucher)
                break
            except IntegrityError:  # a code collision (2^-60 per pair): draw again
                continue
        else:  # pragma: no cover
            raise ProgrammeError("could not draw a unique code")
        ledger.post(
            session,
            "voucher:issue",
            rules.issue_lines(programme.id, face, programme.currency),
            f"voucher:{voucher.id}:v1:issue",
            reference=f"voucher:{voucher.id}",
            memo=f"voucher {voucher.code} issued to organisation {organisation.id}",
        )
        vouchers.append(voucher)
    return vouchers


# ---------------------------------------------------------------- lookups


def find_by_code(session: Session, raw: str, *, lock: bool = False) -> Any:
    """The voucher of a typed code: `InvalidVoucherCode` for a typo, `VoucherNotFound`."""
    code = normalise_code(raw)
    m = models_for(session)
    query = select(m.Voucher).where(m.Voucher.code == code)
    if lock:
        query = query.with_for_update()
    voucher = session.execute(query).scalar_one_or_none()
    if voucher is None:
        raise VoucherNotFound(code)
    return voucher


# ---------------------------------------------------------------- vouchers in missions


def _check_terms(voucher: Any, move: str, terms: MissionTerms | None, covered_cents: int) -> None:
    if terms is None:
        return
    code = mission_voucher_refusal(terms, voucher.face_value_cents, covered_cents)
    if code is not None:
        raise VoucherNotForMission(code, voucher_id=voucher.id, status=voucher.status, move=move)


# ---------------------------------------------------------------- the status machine


def _refusal(move: str, voucher: Any, status: str, mission: str | None) -> IllegalVoucherMove:
    args = {"voucher_id": voucher.id, "status": status, "move": move}
    if status == VoucherStatus.REDEEMED:
        return VoucherAlreadyRedeemed(**args)
    if status == VoucherStatus.EXPIRED:
        return VoucherExpired(**args)
    if move == "reserve":
        if status == VoucherStatus.RESERVED:
            return VoucherAlreadyReserved(**args)
        if status == VoucherStatus.BLOCKED:
            return VoucherBlocked(**args)
    if move in ("redeem", "release"):
        if status in (VoucherStatus.ISSUED, VoucherStatus.BLOCKED):
            return VoucherNotReserved(**args)
        if status == VoucherStatus.RESERVED and mission is not None:
            return WrongReservation(**args)
    if move == "block" and status == VoucherStatus.RESERVED:
        return VoucherAlreadyReserved(**args)
    return IllegalVoucherMove(**args)


def _move(
    session: Session,
    voucher: Any,
    move: str,
    allowed: Iterable[VoucherStatus],
    to: VoucherStatus,
    *,
    values: dict[str, Any],
    target_account: Callable[[str], str | None],
    mission: str | None = None,
) -> Any:
    """Compare-and-set ``voucher`` from one of ``allowed`` statuses to ``to`` and post
    the ledger move of its value (``target_account(from_status)`` gives the
    destination account; None = no money moves)."""
    m = models_for(session)
    V = m.Voucher
    allowed = tuple(allowed)
    status, version, reserved_for = voucher.status, voucher.version, voucher.reserved_for
    for _attempt in range(5):
        if status not in allowed or (
            mission is not None and status == VoucherStatus.RESERVED and reserved_for != mission
        ):
            raise _refusal(move, voucher, status, mission)
        row = session.execute(
            update(V)
            .where(V.id == voucher.id, V.version == version, V.status == status)
            .values(status=to.value, version=version + 1, **values)
            .returning(V.version)
            .execution_options(synchronize_session=False)
        ).first()
        if row is not None:
            for key, value in {"status": to.value, "version": version + 1, **values}.items():
                set_committed_value(voucher, key, value)
            destination = target_account(status)
            if destination is not None:
                ledger.post(
                    session,
                    f"voucher:{move}",
                    rules.voucher_move_lines(
                        voucher.programme_id, status, destination, voucher.face_value_cents, voucher.currency
                    ),
                    f"voucher:{voucher.id}:v{version + 1}:{move}",
                    reference=f"voucher:{voucher.id}",
                    memo=f"voucher {voucher.code}: {status} -> {to}",
                )
            return voucher
        # Someone moved it first: look at what it is now (a fresh read in our transaction).
        status, version, reserved_for = session.execute(
            select(V.status, V.version, V.reserved_for).where(V.id == voucher.id)
        ).one()
        for key, value in {"status": status, "version": version, "reserved_for": reserved_for}.items():
            set_committed_value(voucher, key, value)
    raise IllegalVoucherMove(f"voucher {voucher.id} keeps changing", voucher_id=voucher.id, status=status, move=move)


def _programme(session: Session, voucher: Any) -> Any:
    m = models_for(session)
    return session.get(m.VoucherProgramme, voucher.programme_id)


def reserve(
    session: Session,
    voucher: Any,
    mission_ref: str,
    *,
    now: datetime | None = None,
    terms: MissionTerms | None = None,
    covered_cents: int = 0,
) -> Any:
    """issued → reserved for ``mission_ref`` (e.g. "mission:42"), when the provider accepts the mission.
    ``terms``: the mission's price terms, checked by `mission_voucher_refusal` with the
    ``covered_cents`` already reserved or redeemed for it (`VoucherNotForMission`)."""
    now = utc(now or utcnow())
    _check_terms(voucher, "reserve", terms, covered_cents)
    if voucher.status == VoucherStatus.ISSUED:
        if now < utc(voucher.valid_from):
            raise VoucherNotYetValid(voucher_id=voucher.id, status=voucher.status, move="reserve")
        if now >= utc(voucher.expires_at):
            raise VoucherExpired(voucher_id=voucher.id, status=voucher.status, move="reserve")
        if now >= utc(voucher.blocks_at):
            raise VoucherBlocked(voucher_id=voucher.id, status=voucher.status, move="reserve")
    return _move(
        session,
        voucher,
        "reserve",
        (VoucherStatus.ISSUED,),
        VoucherStatus.RESERVED,
        values={"reserved_for": mission_ref, "reserved_at": now},
        target_account=lambda _s: rules.programme_account(voucher.programme_id, "reserved"),
    )


def release(session: Session, voucher: Any, mission_ref: str | None = None, *, now: datetime | None = None) -> Any:
    """reserved → issued (the mission was cancelled). ``mission_ref``, when given, must match."""
    now = utc(now or utcnow())
    return _move(
        session,
        voucher,
        "release",
        (VoucherStatus.RESERVED,),
        VoucherStatus.ISSUED,
        values={"reserved_for": None, "reserved_at": None, "released_at": now},
        mission=mission_ref,
        target_account=lambda _s: rules.programme_account(voucher.programme_id, "issued"),
    )


def redeem(
    session: Session,
    voucher: Any,
    provider_id: int,
    mission_ref: str | None = None,
    *,
    now: datetime | None = None,
    terms: MissionTerms | None = None,
    covered_cents: int = 0,
) -> Any:
    """reserved → redeemed: the value becomes owed to the provider (monthly statement, payout).
    ``terms`` and ``covered_cents`` (already redeemed for the mission): as for `reserve`."""
    now = utc(now or utcnow())
    _check_terms(voucher, "redeem", terms, covered_cents)
    if voucher.status == VoucherStatus.RESERVED and now >= utc(voucher.expires_at):
        raise VoucherExpired(voucher_id=voucher.id, status=voucher.status, move="redeem")
    return _move(
        session,
        voucher,
        "redeem",
        (VoucherStatus.RESERVED,),
        VoucherStatus.REDEEMED,
        values={"redeemed_at": now, "provider_id": provider_id},
        mission=mission_ref,
        target_account=lambda _s: rules.provider_payable(provider_id),
    )


def block(session: Session, voucher: Any, *, now: datetime | None = None, force: bool = False) -> Any:
    """issued → blocked, from 15 days before expiry (``force``: earlier, a staff decision)."""
    now = utc(now or utcnow())
    if voucher.status == VoucherStatus.ISSUED and not force and now < utc(voucher.blocks_at):
        raise IllegalVoucherMove(
            f"voucher {voucher.id} blocks on {voucher.blocks_at:%Y-%m-%d}",
            voucher_id=voucher.id,
            status=voucher.status,
            move="block",
        )
    return _move(
        session,
        voucher,
        "block",
        (VoucherStatus.ISSUED,),
        VoucherStatus.BLOCKED,
        values={"blocked_at": now},
        target_account=lambda _s: rules.programme_account(voucher.programme_id, "blocked"),
    )


def expire(session: Session, voucher: Any, *, now: datetime | None = None, force: bool = False) -> Any:
    """issued | blocked | reserved → expired at expiry: the value goes back to the funder's credit."""
    now = utc(now or utcnow())
    if (
        voucher.status in (VoucherStatus.ISSUED, VoucherStatus.BLOCKED, VoucherStatus.RESERVED)
        and not force
        and now < utc(voucher.expires_at)
    ):
        raise IllegalVoucherMove(
            f"voucher {voucher.id} expires on {voucher.expires_at:%Y-%m-%d}",
            voucher_id=voucher.id,
            status=voucher.status,
            move="expire",
        )
    funder = _programme(session, voucher).funder_id
    return _move(
        session,
        voucher,
        "expire",
        (VoucherStatus.ISSUED, VoucherStatus.BLOCKED, VoucherStatus.RESERVED),
        VoucherStatus.EXPIRED,
        values={"expired_at": now},
        target_account=lambda _s: rules.funder_credit(funder),
    )


# ---------------------------------------------------------------- the daily job


@dataclass
class ExpiryReport:
    to_warn: list[Any] = field(
        default_factory=list
    )  # vouchers to warn about (30 days before expiry), now marked warned
    blocked: list[Any] = field(default_factory=list)
    expired: list[Any] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(
        default_factory=list
    )  # (voucher id, reason): moved by someone else meanwhile


def run_expiry(session: Session, *, now: datetime | None = None, limit: int | None = None) -> ExpiryReport:
    """What the daily job does: mark vouchers to warn, block those 15 days from
    expiry, expire those past it (value back to the funder). Safe to run twice.
    The app sends the warnings (``report.to_warn``) and commits."""
    m = models_for(session)
    V = m.Voucher
    now = utc(now or utcnow())
    report = ExpiryReport()
    due = (
        select(V)
        .where(
            V.status.in_((VoucherStatus.ISSUED.value, VoucherStatus.BLOCKED.value, VoucherStatus.RESERVED.value)),
            V.expires_at <= now,
        )
        .order_by(V.id)
    )
    for voucher in session.execute(due.limit(limit) if limit else due).scalars().all():
        try:
            report.expired.append(expire(session, voucher, now=now))
        except IllegalVoucherMove as exc:
            report.skipped.append((voucher.id, exc.code))
    blocking = (
        select(V).where(V.status == VoucherStatus.ISSUED.value, V.blocks_at <= now, V.expires_at > now).order_by(V.id)
    )
    for voucher in session.execute(blocking).scalars().all():
        try:
            report.blocked.append(block(session, voucher, now=now))
        except IllegalVoucherMove as exc:
            report.skipped.append((voucher.id, exc.code))
    warn_before = now + timedelta(days=rules.WARN_DAYS_BEFORE_EXPIRY)
    warning = (
        select(V)
        .where(
            V.status.in_((VoucherStatus.ISSUED.value, VoucherStatus.RESERVED.value)),
            V.warned_at.is_(None),
            V.expires_at <= warn_before,
            V.expires_at > now,
        )
        .order_by(V.id)
    )
    for voucher in session.execute(warning).scalars().all():
        voucher.warned_at = now
        report.to_warn.append(voucher)
    session.flush()
    return report
