"""core.mail.imap_parse: tokenizer, FETCH and other response parsers, and fuzzing that only ImapParseError escapes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.mail.imap_parse import (
    Atom,
    FetchItem,
    ImapParseError,
    ListEntry,
    MailboxStatus,
    decode_mailbox,
    encode_mailbox,
    parse_appenduid,
    parse_capability,
    parse_fetch,
    parse_internaldate,
    parse_list,
    parse_search,
    parse_select,
    serialize,
    tokenize,
)

# ---------------------------------------------------------------- tokenizer


def test_tokenizer_reads_atoms_numbers_strings_nil_and_nested_lists():
    line = b'A 12 "say \\"hi\\" \\\\" NIL (\\Seen (x NIL) ()) {3}\r\nabc BODY[HEADER.FIELDS (SUBJECT FROM)]<0>\r\n'
    assert tokenize(line) == [
        [
            Atom("A"),
            12,
            b'say "hi" \\',
            None,
            [Atom("\\Seen"), [Atom("x"), None], []],
            b"abc",
            Atom("BODY[HEADER.FIELDS (SUBJECT FROM)]<0>"),
        ]
    ]


def test_tokenizer_keeps_crlf_and_parentheses_inside_literals():
    data = b"1 FETCH (BODY[] {10}\r\n(a)\r\n{1}\r\n)\r\n"
    assert tokenize(data) == [[1, Atom("FETCH"), [Atom("BODY[]"), b"(a)\r\n{1}\r\n"]]]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"(a b\r\n", "inside a parenthesized list"),
        (b"a)\r\n", "unbalanced"),
        (b'"abc\r\n', "quoted string"),
        (b"{10}\r\nabc\r\n", "past the end"),
        (b"{x}\r\n", "literal marker"),
        (b"a\nb", "bare CR or LF"),
        (b"BODY[HEADER\r\n", "section"),
        (b"1" * 40, "digits"),
        (b"a \x01", "control byte"),
    ],
)
def test_tokenizer_errors_say_what_is_wrong(data, message):
    with pytest.raises(ImapParseError, match=message):
        tokenize(data)


def test_deep_nesting_is_an_error_not_a_recursion_crash():
    with pytest.raises(ImapParseError):
        tokenize(b"(" * 200_000)
    assert tokenize(b"(" * 50_000 + b")" * 50_000) != []


# ---------------------------------------------------------------- FETCH


def test_parse_fetch_reads_aioimaplib_lines_with_literals():
    body = b"Subject: hi\r\n\r\n(not a list\r\n"
    lines = [
        b'1 FETCH (UID 7 FLAGS (\\Seen $Label1) INTERNALDATE " 6-Jan-2025 10:00:00 +0100" RFC822.SIZE 28 '
        b"MODSEQ (42) BODY[] {%d}" % len(body),
        bytearray(body),
        b")",
        b"2 FETCH (UID 8 BODY[HEADER] {4}",
        bytearray(b"X: y"),
        b" FLAGS ())",
    ]
    first, second = parse_fetch(lines)
    assert first == FetchItem(
        seq=1,
        uid=7,
        flags=("\\Seen", "$Label1"),
        size=28,
        internaldate=datetime(2025, 1, 6, 10, 0, tzinfo=timezone(timedelta(hours=1))),
        modseq=42,
        body=body,
    )
    assert second.uid == 8 and second.header == b"X: y" and second.flags == () and second.body is None


def test_parse_fetch_accepts_rfc822_partial_bodies_and_keeps_unknown_items():
    items = parse_fetch(
        [
            b'* 3 FETCH (RFC822 "abc" ENVELOPE (NIL "s") X-GM-LABELS ())',
            b"4 FETCH (BODY[]<0> {2}",
            bytearray(b"ab"),
            b")",
        ]
    )
    assert items[0].body == b"abc" and items[0].extra == {"ENVELOPE": [None, b"s"], "X-GM-LABELS": []}
    assert items[1].body == b"ab"


@pytest.mark.parametrize(
    "lines, message",
    [
        ([b"3 EXISTS"], "not a FETCH"),
        ([b"1 FETCH (UID)"], "odd number"),
        ([b"1 FETCH (UID abc)"], "UID is not a number"),
        ([b"1 FETCH (FLAGS \\Seen)"], "FLAGS"),
        ([b"1 FETCH (MODSEQ 5)"], "MODSEQ"),
        ([b'1 FETCH (INTERNALDATE "yesterday")'], "INTERNALDATE"),
        ([b'1 FETCH (INTERNALDATE "31-Feb-2025 10:00:00 +0000")'], "not a valid date"),
        ([b"1 FETCH (BODY[] {5}", bytearray(b"abc")], "literal announced 5"),
        ([b"1 FETCH (BODY[] {5}"], "ends where a literal"),
        ([b"1 FETCH (BODY[] (a))"], "not a string"),
        (["text"], "expected bytes"),
    ],
)
def test_parse_fetch_errors(lines, message):
    with pytest.raises(ImapParseError, match=message):
        parse_fetch(lines)


def test_internaldate_month_names_do_not_depend_on_locale():
    assert parse_internaldate(b"17-Jul-1996 02:44:25 -0700") == datetime(
        1996, 7, 17, 2, 44, 25, tzinfo=timezone(timedelta(hours=-7))
    )


# ---------------------------------------------------------------- other responses


def test_parse_select_as_dovecot_sends_it():
    lines = [
        b"FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
        b"OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.",
        b"3 EXISTS",
        b"0 RECENT",
        b"OK [UIDVALIDITY 1795444550] UIDs valid",
        b"OK [UIDNEXT 4] Predicted next UID",
        b"OK [HIGHESTMODSEQ 9] Highest",
        b"[READ-WRITE] Select completed (0.001 + 0.000 secs).",
    ]
    assert parse_select(lines) == MailboxStatus(uidvalidity=1795444550, uidnext=4, highestmodseq=9, exists=3)
    assert parse_select([b"* 0 EXISTS", b"* OK [UIDVALIDITY 1]"]) == MailboxStatus(1, None, None, 0)


def test_parse_select_without_uidvalidity_is_an_error():
    with pytest.raises(ImapParseError, match="UIDVALIDITY"):
        parse_select([b"3 EXISTS"])


def test_parse_search_capability_appenduid_list():
    assert parse_search([b"SEARCH 4 9 12", b"* SEARCH 20 (MODSEQ 917162500)", b"SEARCH"]) == [4, 9, 12, 20]
    with pytest.raises(ImapParseError):
        parse_search([b"SEARCH 4 x"])
    assert parse_capability([b"CAPABILITY IMAP4rev1 IDLE"]) == {"IMAP4REV1", "IDLE"}
    assert parse_capability([b"OK [CAPABILITY IMAP4rev1 CONDSTORE] Logged in"]) == {"IMAP4REV1", "CONDSTORE"}
    with pytest.raises(ImapParseError):
        parse_capability([b"Logged in"])
    assert parse_appenduid([b"[APPENDUID 38505 3955] APPEND completed"]) == (38505, 3955)
    assert parse_appenduid([b"APPEND completed"]) is None
    assert parse_list(
        [
            b'LIST (\\HasNoChildren) "." INBOX',
            b'LIST () "/" "a \\"q\\""',
            b'LIST () "." {5}',
            bytearray(b"x y z"),
            b'LIST (\\Noselect) NIL "Caf&AOk-"',
        ]
    ) == [
        ListEntry(("\\HasNoChildren",), ".", "INBOX"),
        ListEntry((), "/", 'a "q"'),
        ListEntry((), ".", "x y z"),
        ListEntry(("\\Noselect",), None, "Caf\u00e9"),
    ]


def test_mailbox_names_use_modified_utf7():
    assert encode_mailbox("\u00c9quipe & co") == '"&AMk-quipe &- co"'
    assert decode_mailbox(b"&AMk-quipe &- co") == "\u00c9quipe & co"
    assert decode_mailbox(b"&A-") == "&A-"


@given(st.text(max_size=30))
def test_mailbox_name_round_trip(name):
    encoded = encode_mailbox(name)
    assert decode_mailbox(tokenize(encoded.encode() + b"\r\n")[0][0]) == name


# ---------------------------------------------------------------- fuzzing

_atoms = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from("AbcXyz\\$"),
    st.text(alphabet="AbcXyz019.-_$\\", max_size=10),
).filter(lambda text: text.upper() != "NIL")
_leaves = st.one_of(_atoms.map(Atom), st.integers(min_value=0, max_value=2**63), st.binary(max_size=40), st.none())
_tokens = st.recursive(_leaves, lambda children: st.lists(children, max_size=5), max_leaves=25)


@settings(max_examples=200)
@given(st.lists(st.lists(_tokens, min_size=1, max_size=6), min_size=1, max_size=4))
def test_serialize_then_tokenize_round_trips(lines):
    wire = b"".join(b" ".join(serialize(token) for token in line) + b"\r\n" for line in lines)
    assert tokenize(wire) == lines


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 2**32 - 1), st.lists(_atoms, max_size=4), st.binary(max_size=300), st.integers(0, 2**40)
        ),
        max_size=5,
    )
)
def test_fetch_round_trip_in_aioimaplib_shape(messages):
    lines: list[bytes | bytearray] = []
    for seq, (uid, flags, body, modseq) in enumerate(messages, start=1):
        flag_list = " ".join(flags).encode()
        lines.append(b"%d FETCH (UID %d FLAGS (%s) MODSEQ (%d) BODY[] {%d}" % (seq, uid, flag_list, modseq, len(body)))
        lines.append(bytearray(body))
        lines.append(b")")
    items = parse_fetch(lines)
    assert [(i.uid, list(i.flags), i.body, i.modseq) for i in items] == [
        (uid, flags, body, modseq) for uid, flags, body, modseq in messages
    ]


_wireish = st.lists(
    st.sampled_from(
        [
            b"(",
            b")",
            b" ",
            b'"',
            b"\\",
            b"{3}\r\n",
            b"{99}\r\n",
            b"\r\n",
            b"NIL",
            b"FETCH",
            b"1",
            b"BODY[",
            b"]",
            b"UID",
            b"abc",
            b"\r",
            b"\n",
            b"\x00",
            b"\xff",
            b"<0>",
            b"[",
        ]
    ),
    max_size=40,
).map(b"".join)
_line_lists = st.lists(st.one_of(st.binary(max_size=60), _wireish, st.binary(max_size=20).map(bytearray)), max_size=8)


@settings(max_examples=500)
@given(st.one_of(st.binary(max_size=200), _wireish))
def test_random_bytes_only_ever_raise_imap_parse_error(data):
    try:
        tokenize(data)
    except ImapParseError:
        pass


@settings(max_examples=500)
@given(_line_lists)
def test_random_lines_only_ever_raise_imap_parse_error(lines):
    for parser in (parse_fetch, parse_select, parse_search, parse_capability, parse_appenduid, parse_list):
        try:
            parser(lines)
        except ImapParseError:
            pass
