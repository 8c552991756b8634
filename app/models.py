"""Import every model so that the metadata (and Alembic) sees the whole schema."""

from app.accounts.models import MemberRole, Membership, User  # noqa: F401
from app.billing.models import CardIntent  # noqa: F401
from app.core.mail import OutboxEmail  # noqa: F401
from app.directory.models import ListingChange, Offer, Organisation, Provider  # noqa: F401

# The payments tables (ledger, Stripe events, card payments, voucher programmes, vouchers) on the app's Base.
from app.extensions import db  # noqa: E402
from app.library.models import (  # noqa: F401
    FileVersion,
    IdentifierCounter,
    LicenceBuyer,
    LicenceCheckout,
    LicenceGrant,
    LicenceOffer,
    Producer,
    ProducerMember,
    Resource,
    ResourceEvent,
    ResourceFile,
    ResourceRelation,
    ResourceReport,
    StoredBlob,
)
from app.matches.models import EmbeddingVector, Feedback, MatchRun, Mission, Proposal, ProposalEvent  # noqa: F401
from app.needs.models import Need, NeedStatus  # noqa: F401
from app.territory.models import Commune  # noqa: F401
from app.vouchers.models import Funder, FunderMember, PayoutBatch, PayoutLine, ProgrammeSettings, VoucherRequest  # noqa: F401
from payments.models import bind_models  # noqa: E402

payments_models = bind_models(
    db.Model, foreign_keys={"funder": "funder.id", "organisation": "organisation.id", "provider": "provider.id"}
)
LedgerAccount = payments_models.LedgerAccount
LedgerTransaction = payments_models.LedgerTransaction
LedgerLine = payments_models.LedgerLine
StripeEvent = payments_models.StripeEvent
Payment = payments_models.Payment
PaymentRefund = payments_models.PaymentRefund
VoucherProgramme = payments_models.VoucherProgramme
Voucher = payments_models.Voucher
