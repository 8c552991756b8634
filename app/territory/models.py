from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Commune(db.Model):
    """A French commune from the INSEE reference (see data/README.md)."""

    __tablename__ = "commune"
    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    search_name: Mapped[str] = mapped_column(String(120), index=True)  # folded: no accents, lower case
    postal_codes: Mapped[str] = mapped_column(String(400), default="")  # space separated
    dep_code: Mapped[str] = mapped_column(String(3), index=True)
    dep_name: Mapped[str] = mapped_column(String(80))
    region_code: Mapped[str] = mapped_column(String(3), index=True)
    region_name: Mapped[str] = mapped_column(String(80))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)

    @property
    def postal_code_list(self) -> list[str]:
        return self.postal_codes.split() if self.postal_codes else []

    @property
    def main_postal_code(self) -> str:
        codes = self.postal_code_list
        return codes[0] if codes else ""

    @property
    def label(self) -> str:
        """What autocomplete shows and the commune field accepts back."""
        code = self.main_postal_code or self.dep_code
        return f"{self.name} ({code})"

    def __repr__(self) -> str:
        return f"<Commune {self.insee} {self.name}>"


class CommunePostalCode(db.Model):
    """The postal-code index beside the INSEE one: one row per (postal code, commune).

    A postal code may cover several communes (13080: only Aix-en-Provence; 04200: a
    dozen villages), and a commune may have several (Marseille: 13001 to 13016, the codes
    of its arrondissements, which La Poste lists under the commune the app uses)."""

    __tablename__ = "commune_postal_code"
    postal_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    insee: Mapped[str] = mapped_column(ForeignKey("commune.insee", ondelete="CASCADE"), primary_key=True, index=True)
