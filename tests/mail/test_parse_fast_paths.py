"""The parser's shortcuts give exactly what the stdlib paths they skip give: plain addresses without
getaddresses, Content-* parameters parsed once per part."""

from __future__ import annotations

import random
from email.utils import getaddresses

from core.mail.mime import parse_mail
from core.mail.mime.headers import _single_plain_address
from core.mail.mime.structure import _part_message

PHRASE = list("aZ9 .=?_-+'\t!#$%&*/^`{|}~é€")
LOCAL = list("aZ9.-_+!#")
ODD = list("abc09 .,;:<>@\"()[]\\=?_-+'\té")


def test_plain_addresses_parse_as_getaddresses_parses_them() -> None:
    rng = random.Random(7)
    cases = [
        "=?utf-8?b?Q2zDr2VudCA0?= <client4@example.org>",
        "  Ann   Lee  <ann.lee@shop.test> ",
        "J. Smith <j@x.org>",
        "<a@b>",
        "a..b@c",
        ".a@b",
        "a@b.",
    ]
    for _ in range(20_000):
        phrase = "".join(rng.choice(PHRASE) for _ in range(rng.randint(0, 12)))
        address = "".join(rng.choice(LOCAL) for _ in range(rng.randint(1, 6)))
        address += "@" + "".join(rng.choice(LOCAL) for _ in range(rng.randint(1, 6)))
        cases.append(rng.choice([f"{phrase}<{address}>", f"{phrase} <{address}> ", address, f" {address} "]))
        cases.append("".join(rng.choice(ODD) for _ in range(rng.randint(1, 14))))
    taken = 0
    for case in cases:
        fast = _single_plain_address(case)
        if fast is not None:
            taken += 1
            assert [fast] == getaddresses([case]), case
    assert taken > 5_000  # the shortcut is really taken, not always declined
    for declined in ('"Lee, Ann" <ann@shop.test>', "a@b, c@d", "Ann (work) <ann@shop.test>", "Group: a@b;"):
        assert _single_plain_address(declined) is None


def test_a_parsed_from_with_an_encoded_name_reads_as_before() -> None:
    raw = (
        b"From: =?utf-8?q?Cl=C3=AFent_4?= <Client4@Example.org>\r\nTo: Support <support@shop.test>, b@c.d\r\n"
        b"Subject: hi\r\nMessage-ID: <x@y>\r\nDate: Tue, 14 Nov 2023 10:00:00 +0100\r\n\r\nbody\r\n"
    )
    parsed = parse_mail(raw)
    assert (parsed.from_name, parsed.from_addr) == ("Clïent 4", "client4@example.org")
    assert parsed.to == (("Support", "support@shop.test"), ("", "b@c.d"))


def test_part_parameters_are_parsed_once_and_missing_headers_stay_missing() -> None:
    msg = _part_message([["content-type", [b'text/plain; charset="iso-8859-1"; name="a b.txt"']]], [], "text/plain")
    assert msg.get_content_charset() == "iso-8859-1"
    assert msg.get_param("name") == "a b.txt"
    assert msg.get_filename() == "a b.txt"  # Content-Disposition is missing: falls back to the name parameter
    assert msg.get_param("filename", header="content-disposition") is None
    assert msg.get_params(header="content-disposition") is None
    assert msg.get_params() == [("text/plain", ""), ("charset", "iso-8859-1"), ("name", "a b.txt")]
