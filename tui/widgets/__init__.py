"""Reusable widgets of the Comptoir app."""
