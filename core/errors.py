"""Errors a user can act on; the CLI prints their message, never a traceback."""


class ComptoirError(Exception):
    """An error with a message meant for the person at the terminal."""


class ConfigError(ComptoirError):
    """The workspace's comptoir.toml is missing, unreadable or invalid."""


class WorkspaceError(ComptoirError):
    """The workspace folder or its database cannot be used as it is."""


class IdentityError(ComptoirError):
    """The person running comptoir is not an agent of this workspace."""


class ActionRefused(ComptoirError):
    """An action was refused by the rules (already claimed, pending messages, ...)."""


class StorageError(ComptoirError):
    """The disk (or PostgreSQL's) refused a write: full, over quota, read-only or failing."""


class UnknownName(ActionRefused):
    """A command named a team or agent that does not exist, or gave a bad argument value; the CLI exits 2."""


class SearchSyntaxError(UnknownName):
    """A search the parser cannot read (an unknown operator, a bad day); the message says how to write it."""


class BadInput(UnknownName):
    """Input handed to a command (a message on standard input) cannot be used; the CLI exits 2, nothing is written."""
