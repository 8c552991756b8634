"""Voucher programmes (chèques d'accompagnement numérique), funders, vouchers and their use in missions."""
