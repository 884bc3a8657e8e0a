"""The Textual front end of Comptoir: screens, widgets and styles over core.service.Comptoir."""
