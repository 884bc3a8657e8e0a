"""The Textual front end of Comptoir: screens, widgets and styles over the service interface (core.server.api)."""
