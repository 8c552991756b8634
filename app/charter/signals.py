"""What happens in the charter that other parts of the charter domain react to (blinker signals, sent after
the change is flushed, inside the transaction)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sender: the CharterVersion just adopted (the labels' side invites holders to re-assess)
version_adopted = _signals.signal("charter-version-adopted")
#: sender: the Label just granted (search reindexes the subject; matching reads levels at run time)
label_granted = _signals.signal("charter-label-granted")
#: sender: the Label that expired or was revoked
label_ended = _signals.signal("charter-label-ended")
