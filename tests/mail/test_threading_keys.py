"""Threading keys: ids first, subject fallback only within one customer."""

from __future__ import annotations

import pytest

from core.mail.mime import parse_mail
from core.mail.threading_keys import normalize_subject, subject_fallback_key, thread_lookup_ids


def test_lookup_ids_in_reply_to_then_references_newest_first():
    raw = b"Message-ID: <me@x>\r\nIn-Reply-To: <c@x>\r\nReferences: <a@x> <b@x> <c@x> <me@x>\r\n\r\nbody"
    assert thread_lookup_ids(parse_mail(raw)) == ("<c@x>", "<b@x>", "<a@x>")


def test_lookup_ids_without_headers():
    assert thread_lookup_ids(parse_mail(b"Subject: hi\r\n\r\nbody")) == ()


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Invoice", "Invoice"),
        ("RE: re: Fwd: Invoice", "Invoice"),
        ("Re[2]: Invoice", "Invoice"),
        ("RE(3): Invoice", "Invoice"),
        ("AW: WG: Rechnung", "Rechnung"),
        ("SV: VS: TR: Facture", "Facture"),
        ("Fw : Invoice", "Invoice"),
        ("[Ticket #123] Re: Invoice", "Invoice"),
        ("Re: [support] Re: [EXT] Invoice", "Invoice"),
        ("回复：发票", "发票"),
        ("  Invoice   due\tsoon  ", "Invoice due soon"),
        ("Invoice (fwd)", "Invoice"),
        ("Regarding: invoice", "Regarding: invoice"),  # only real prefixes go
        ("Invoice [draft]", "Invoice [draft]"),  # trailing tags stay
        ("Re:", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_subject(subject, expected):
    assert normalize_subject(subject) == expected


def test_subject_key_matches_within_one_customer():
    assert subject_fallback_key("Re: Invoice", "Joe@Example.com") == subject_fallback_key("INVOICE", "joe@example.com")


def test_subject_key_never_matches_across_customers():
    a = subject_fallback_key("[Ticket #123] Invoice", "joe@example.com")
    b = subject_fallback_key("[Ticket #123] Invoice", "ann@example.org")
    assert a and b and a != b


@pytest.mark.parametrize(("subject", "customer"), [("Re:", "joe@example.com"), ("Invoice", ""), ("", None)])
def test_no_subject_key_without_subject_or_customer(subject, customer):
    assert subject_fallback_key(subject, customer) is None


def test_subject_key_is_bounded():
    assert len(subject_fallback_key("x" * 100_000, "joe@example.com")) < 64
