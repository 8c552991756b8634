"""Import every model so that the metadata (and Alembic) sees the whole schema."""
from app.accounts.models import MemberRole, Membership, User  # noqa: F401
from app.core.mail import OutboxEmail  # noqa: F401
from app.directory.models import Offer, Organisation, Provider  # noqa: F401
from app.needs.models import Need, NeedStatus  # noqa: F401
from app.territory.models import Commune  # noqa: F401
from app.matches.models import EmbeddingVector, Feedback, MatchRun, Mission, Proposal, ProposalEvent  # noqa: F401
