"""Import every model so that the metadata (and Alembic) sees the whole schema.

The aggregator above every domain: `create_app`, the migrations and the tests import it, a domain
never does (the payments tables a domain needs come from `app.ledger`).
"""

from app.accounts.models import MemberRole, Membership, User  # noqa: F401
from app.billing.models import CardIntent  # noqa: F401
from app.charter.models import (  # noqa: F401
    Amendment,
    AmendmentComment,
    AmendmentSupport,
    Assessment,
    AssessmentAnswer,
    AssessmentReview,
    CharterEvent,
    CharterTheme,
    CharterVersion,
    CommitteeMember,
    Consultation,
    Criterion,
    Label,
    VersionCriterion,
)
from app.core.access_log import AccessLogEntry  # noqa: F401
from app.core.mail import OutboxEmail  # noqa: F401
from app.directory.models import ListingChange, Offer, Organisation, Provider  # noqa: F401

# The payments tables (ledger, Stripe events, card payments, voucher programmes, vouchers) on the app's Base.
from app.ledger import (  # noqa: F401
    LedgerAccount,
    LedgerLine,
    LedgerTransaction,
    Payment,
    PaymentRefund,
    StripeEvent,
    Voucher,
    VoucherProgramme,
    payments_models,
)
from app.legal.models import LegalVersion, TermsAcceptance  # noqa: F401
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
from app.opendata.models import ImportBatch, ImportedPlace  # noqa: F401
from app.privacy.lifecycle import ErasureRequest, InactivityWarning  # noqa: F401
from app.privacy.models import DataExport  # noqa: F401
from app.searching.models import SynonymGroup, SynonymState  # noqa: F401
from app.territory.models import Commune  # noqa: F401
from app.vouchers.models import Funder, FunderMember, PayoutBatch, PayoutLine, ProgrammeSettings, VoucherRequest  # noqa: F401
