"""Signals between domains (blinker, as Flask and Indico use it).

A domain announces what happened; the domains that care listen. The sender never imports its
listeners, so the import arrows run one way: a lower domain (needs, directory) announces, a higher one
(matches, vouchers) reacts. Receivers run inside the sender's transaction: a receiver that raises a
`ServiceError` refuses the whole change.

Each domain connects its receivers in its own module (`@need_closed.connect` …; e.g.
app/matches/receivers.py), imported by `create_app`. Every signal is sent with the changed row as sender.
"""

from __future__ import annotations

from blinker import Namespace

hub = Namespace()

# directory / needs → matches (warm the embeddings used by matching; close stale proposals)
need_text_changed = hub.signal("need-text-changed")  # sender: Need, after its title/description changed
offer_text_changed = hub.signal("offer-text-changed")  # sender: Offer, after its text or skills changed
need_closed = hub.signal("need-closed")  # sender: Need, cancelled (before its status changes)

# matches → vouchers (reserve, redeem, release the vouchers of a voucher-funded mission)
mission_accepted = hub.signal("mission-accepted")  # sender: Mission, just created from an accepted proposal
mission_done = hub.signal("mission-done")  # sender: Mission, both sides confirmed completion
mission_cancelled = hub.signal("mission-cancelled")  # sender: Mission, cancelled before completion
