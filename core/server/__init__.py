"""The workspace server and its clients: one process owns a workspace's data; the app and the CLI
talk to it over a Unix socket, and the kernel (SO_PEERCRED) says who each client is.

Importing this package is cheap: the server side (storage, sync) loads only in `core.server.server`.
"""
