from flask import Blueprint, jsonify, request

from app.core.access import Access, access
from app.territory.names import territory_names
from app.territory.services import search_communes

bp = Blueprint("territory", __name__)


@bp.get("/communes")
@access(Access.PUBLIC)
def communes():
    """Autocomplete: by name (accents optional) or postal code."""
    q = (request.args.get("q") or "")[:80]
    return jsonify(
        [
            {
                "insee": c.insee,
                "name": c.name,
                "label": c.label,
                "dep_code": c.dep_code,
                "postal_codes": c.postal_code_list,
            }
            for c in search_communes(q)
        ]
    )


@bp.record_once
def _template_globals(state) -> None:  # territories by their names in every page (app/territory/names.py)
    state.app.jinja_env.globals.update(territory_names=territory_names)
