"""The front page (`/`): above the domains, it shows what they publish (today the directory's offers)."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from app.core.access import Access, access
from app.core.models import PublicationStatus as PS
from app.directory.models import Offer, Provider
from app.directory.services import published_offers_query, with_provider_and_commune
from app.extensions import db

bp = Blueprint("home", __name__)


@bp.get("/")
@access(Access.PUBLIC)
def index():
    offers = list(
        db.session.scalars(
            with_provider_and_commune(published_offers_query()).order_by(Offer.published_at.desc()).limit(6)
        )
    )
    counts = {
        "offers": db.session.scalar(select(func.count()).select_from(published_offers_query().subquery())),
        "providers": db.session.scalar(
            select(func.count()).select_from(Provider).where(Provider.status == PS.PUBLISHED)
        ),
    }
    return render_template("home.html", offers=offers, counts=counts)
