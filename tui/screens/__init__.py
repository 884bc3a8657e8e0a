"""Screens and dialogs of the Comptoir app."""
