from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

import matching
from app.core.forms import DecimalCommaField, MultiCheckboxField
from app.core.inputs import MAX_ID

#: Label of each score component, in the registry's order (the French msgids come from matching.components).
COMPONENT_LABELS = {c.name: _l(c.label) for c in matching.REGISTRY.values()}
SOLVER_CHOICES = [
    ("flow", _l("Optimal (flot à coût minimum)")),
    ("priced", _l("Optimal, par tarification (très grands volumes, optimalité prouvée)")),
    ("cpsat", _l("Avec contraintes (CP-SAT, limité dans le temps)")),
    ("greedy", _l("Glouton (comparaison)")),
]
REGION_SUD = [
    ("04", "04 — Alpes-de-Haute-Provence"),
    ("05", "05 — Hautes-Alpes"),
    ("06", "06 — Alpes-Maritimes"),
    ("13", "13 — Bouches-du-Rhône"),
    ("83", "83 — Var"),
    ("84", "84 — Vaucluse"),
]


class RunForm(FlaskForm):
    solver = RadioField(_l("Méthode"), choices=SOLVER_CHOICES, default="flow", validators=[DataRequired()])
    departements = MultiCheckboxField(_l("Territoire (vide : tous les besoins ouverts)"), choices=REGION_SUD)
    k_alternatives = IntegerField(
        _l("Alternatives par besoin"), default=3, validators=[InputRequired(), NumberRange(0, 10, _l("Entre 0 et 10."))]
    )
    territory_share = DecimalCommaField(
        _l("Part maximale des besoins d'un département confiée à un même prestataire (CP-SAT)"),
        places=2,
        validators=[Optional(), NumberRange(0.01, 1, _l("Entre 0,01 et 1."))],
        description=_l("Par exemple 0,3 : pas plus de 30 % des besoins d'un département au même prestataire."),
    )
    min_per_department = IntegerField(
        _l("Minimum de propositions par département (CP-SAT)"),
        validators=[Optional(), NumberRange(0, 1000, _l("Entre 0 et 1 000."))],
    )
    time_limit = DecimalCommaField(
        _l("Temps maximum (secondes, CP-SAT)"),
        default=10,
        places=0,
        validators=[InputRequired(), NumberRange(1, 120, _l("Entre 1 et 120 secondes."))],
    )

    def side_constraints(self) -> dict:
        side = {}
        if self.territory_share.data is not None:
            side["territory_share"] = float(self.territory_share.data)
        if self.min_per_department.data:
            side["min_per_department"] = int(self.min_per_department.data)
        return side

    def weights(self) -> dict:
        return {name: float(getattr(self, f"w_{name}").data) for name in COMPONENT_LABELS}


def _add_weight_fields() -> None:
    """One weight field ``w_<name>`` per registered score component."""
    for component in matching.REGISTRY.values():
        setattr(
            RunForm,
            f"w_{component.name}",
            DecimalCommaField(
                COMPONENT_LABELS[component.name],
                default=component.default_weight,
                places=2,
                validators=[InputRequired(), NumberRange(0, 1, _l("Entre 0 et 1."))],
            ),
        )


_add_weight_fields()


class DecisionForm(FlaskForm):
    decision = SelectField(choices=[("approve", ""), ("reject", ""), ("replace", "")], validators=[DataRequired()])
    reason = TextAreaField(_l("Raison"), validators=[Optional(), Length(max=2000)])
    offer_id = IntegerField(validators=[Optional(), NumberRange(1, MAX_ID)])


class ResponseForm(FlaskForm):
    response = SelectField(choices=[("accept", ""), ("decline", "")], validators=[DataRequired()])
    reason = TextAreaField(_l("Raison (obligatoire si vous déclinez)"), validators=[Optional(), Length(max=2000)])


class MissionActionForm(FlaskForm):
    action = SelectField(choices=[("start", ""), ("confirm", ""), ("cancel", "")], validators=[DataRequired()])
    reason = TextAreaField(_l("Raison de l'annulation"), validators=[Optional(), Length(max=2000)])


class FeedbackForm(FlaskForm):
    rating = RadioField(
        _l("Votre note"),
        choices=[(str(i), str(i)) for i in range(5, 0, -1)],
        validators=[DataRequired(_l("Choisissez une note."))],
    )
    comment = TextAreaField(_l("Votre commentaire"), validators=[Optional(), Length(max=3000)])
