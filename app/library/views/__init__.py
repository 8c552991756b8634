"""Knowledge base pages, blueprint ``library``, one module per concern:

- `resources`: browse, resolve /r/R42 (HTML or JSON-LD), the open exports, create, edit, publish;
- `files`: upload files and their versions, remove them, download;
- `moderation`: reports, the moderation queue, merges of duplicates (hub staff);
- `licences`: licence offers, grants, revocations, certificates, buying a licence by card, refunds;
- `producers`: producers' pages and spaces, their members, the CSV import;
- `cli`: the ``flask library`` commands.

Every module adds its routes to the one blueprint of `common`; importing them here registers them.
"""

from __future__ import annotations

from app.library.views import cli, files, licences, moderation, producers, resources
from app.library.views.common import bp

__all__ = ["bp", "cli", "files", "licences", "moderation", "producers", "resources"]
