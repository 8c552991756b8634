"""The ethical digital charter: a cooperative, versioned text and the labels it grants (see models.py)."""
