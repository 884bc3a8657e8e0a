"""What the app opens on, importable without Textual so the launcher can start reading it early."""

FIRST_QUEUE = "mine"
"""The queue the app opens on."""
FIRST_WINDOW = 120
"""Rows fetched with a queue's ids: enough for a tall terminal around the cursor."""
