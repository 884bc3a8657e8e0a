"""The workspace folder: config, credentials, locks, identity, preferences, doctor."""
