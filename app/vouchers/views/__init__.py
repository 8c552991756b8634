"""Pages of the vouchers, by audience: funders create, pay and follow their programmes
(`funders`); organisations request, print and use their vouchers and pay a mission's rest
(`organisations`); hub staff manage funders, decide requests, clear and pay providers out
(`payouts`). One blueprint, ``vouchers`` (`common.bp`), for all of them."""

from __future__ import annotations

from app.vouchers.views import funders, organisations, payouts
from app.vouchers.views.common import bp

__all__ = ["bp", "funders", "organisations", "payouts"]
