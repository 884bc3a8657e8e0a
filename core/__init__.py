"""Comptoir's library: configuration, storage, mail engine and the actions every front end uses."""

__version__ = "0.1.0"
