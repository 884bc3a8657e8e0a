"""The mail engine: IMAP client and parser, MIME, the sync plan, mailbox sync, ingest, the outbox, auto-acknowledgements."""
