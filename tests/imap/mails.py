"""Builders for test messages (CRLF line endings, as IMAP servers return them)."""

from __future__ import annotations


def make_mail(number: int, body_size: int = 0, extra_body: bytes = b"") -> bytes:
    """A small RFC 5322 message with Message-ID <msg-N@test.comptoir>, padded to about body_size bytes."""
    head = (
        f"From: Customer {number} <customer{number}@example.com>\r\n"
        f"To: support@example.com\r\n"
        f"Subject: Question number {number}\r\n"
        f"Message-ID: <msg-{number}@test.comptoir>\r\n"
        f"Date: Mon, 6 Jan 2025 10:00:00 +0000\r\n"
        f"MIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n"
        f"\r\n"
    ).encode()
    body = f"Hello, this is message {number}.\r\n".encode() + extra_body
    line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n"
    while len(head) + len(body) + len(line) <= body_size:
        body += line
    return head + body


TRICKY_BODIES = [
    b"line with (parentheses) and ) unbalanced ( ones\r\n",
    b"* 3 FETCH (UID 99 BODY[] {5}\r\nfake)\r\nA001 OK done\r\n",
    b"ends with a literal marker {12}\r\n",
    b'"quoted" \\ backslash and NIL and {0}\r\n',
    "accents: \u00e9t\u00e9, \u65e5\u672c\u8a9e\r\n".encode(),
    b"no final newline",
    b"\r\n" * 5,
]
