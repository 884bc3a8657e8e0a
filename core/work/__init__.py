"""The domain: verbs (actions), what they read (queries, listing, views), policy inputs, escalation, reports."""
