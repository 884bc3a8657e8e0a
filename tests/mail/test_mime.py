"""Unit tests for core.mail.mime: charsets, header decoding, bodies, attachments, file names."""

from __future__ import annotations

import pickle
from email.message import EmailMessage

import pytest

from core.mail.mime import (
    AttachmentInfo,
    ParsedMail,
    decode_bytes,
    decode_header_value,
    extract_attachment,
    parse_mail,
    safe_filename,
)


def mail(headers: str, body: bytes = b"body\r\n") -> bytes:
    return headers.replace("\n", "\r\n").encode() + b"\r\n" + body


@pytest.mark.parametrize(
    ("data", "charset", "expected"),
    [
        (b"plain ascii", "utf-8", "plain ascii"),
        ("café".encode(), "utf-8", "café"),
        ("café".encode("latin-1"), "utf-8", "café"),
        ("café".encode(), "iso-8859-1", "café"),
        ("“hi” €".encode("cp1252"), "iso-8859-1", "“hi” €"),
        ("naïve".encode(), "unknown-8bit", "naïve"),
        ("naïve".encode("latin-1"), "x-unknown", "naïve"),
        ("naïve".encode(), "no-such-charset", "naïve"),
        ("naïve".encode(), "base64", "naïve"),  # a bytes codec, not a text encoding
        ("naïve".encode(), "unicode_escape", "naïve"),
        ("日本".encode("iso-2022-jp"), "ISO-2022-JP", "日本"),
        ("日本".encode("shift_jis"), "shift_jis", "日本"),
        ("中文".encode("gbk"), "gb2312", "中文"),
        ("한국".encode("cp949"), "ks_c_5601-1987", "한국"),
        ("\ufeffbom".encode(), "utf-8", "bom"),
        (b"\x81\x8d\x8f", "utf-8", "\x81\x8d\x8f"),  # cp1252 holes fall back to Latin-1
        (b"", "utf-8", ""),
    ],
)
def test_decode_bytes_falls_back_sensibly(data, charset, expected):
    assert decode_bytes(data, charset) == expected


def test_decode_bytes_reads_mixed_utf8_and_latin1():
    assert decode_bytes("été ".encode() + "été".encode("latin-1"), "utf-8") == "été été"


def test_decode_bytes_keeps_a_mostly_right_declared_cjk_charset():
    data = "日本語のテキストです。".encode("shift_jis") * 20 + b"\x82"
    assert decode_bytes(data, "shift_jis").startswith("日本語のテキストです。")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=?utf-8?q?caf=C3=A9?=", "café"),
        ("=?UTF-8?B?Y2Fmw6k=?=", "café"),
        ("=?utf-8?B?Y2Fmw6k?=", "café"),  # missing padding
        ("=?utf-8?q?a?= =?utf-8?q?b?=", "ab"),  # whitespace between words is dropped
        ("=?utf-8?q?a?= plain =?utf-8?q?b?=", "a plain b"),
        ("=?utf-8?B?w6k=?==?utf-8?B?4oKs?=", "é€"),
        ("=?utf-8?Q?=E2=82?= =?utf-8?Q?=AC?=", "€"),  # one character split over two words
        ("=?iso-8859-1*fr?q?caf=E9?=", "café"),  # RFC 2231 language tag
        ("=?nope?q?hello?=", "hello"),
        ("=?utf-8?q?hello world?=", "hello world"),  # a space inside a Q word, as some mailers do
        ("no encoding at all =? here", "no encoding at all =? here"),
    ],
)
def test_decode_header_value(value, expected):
    assert decode_header_value(value) == expected


def test_subject_is_unfolded():
    raw = mail("Subject: a long\n\tfolded\n  =?utf-8?q?subj=C3=A9ct?=\nFrom: a@b.c\n")
    assert parse_mail(raw).subject == "a long folded subjéct"


def test_addresses_are_lower_cased_and_names_decoded():
    raw = mail(
        'From: "=?utf-8?q?J=C3=B6?=" <Jo@Example.COM>\n'
        "To: a@B.c, =?utf-8?q?Doe=2C_J?= <D@E.F>\nCc: undisclosed-recipients:;\n"
        "Reply-To: <Reply@X.Y>\n"
    )
    m = parse_mail(raw)
    assert (m.from_name, m.from_addr) == ("Jö", "jo@example.com")
    assert m.to == (("", "a@b.c"), ("Doe, J", "d@e.f"))
    assert m.reply_to == (("", "reply@x.y"),)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Message-ID: <abc@x.y>", "<abc@x.y>"),
        ("Message-ID:   < abc@x.y >  (comment)", "<abc@x.y>"),
        ("Message-ID: abc@x.y", "<abc@x.y>"),
        ("Message-ID: garbage", None),
        ("Message-ID:", None),
    ],
)
def test_message_id_is_normalized(header, expected):
    assert parse_mail(mail(f"{header}\nFrom: a@b.c\n")).message_id == expected


def test_references_keep_order_without_duplicates():
    raw = mail("References: <a@x> <b@x>\n <a@x> junk <c@x>\nIn-Reply-To: <c@x> <d@x>\n")
    m = parse_mail(raw)
    assert m.references == ("<a@x>", "<b@x>", "<c@x>")
    assert m.in_reply_to == "<c@x>"


def test_dates_are_aware():
    m = parse_mail(mail("Date: Tue, 14 Nov 2023 09:30:00 +0530\n"))
    assert m.date is not None and m.date.utcoffset().total_seconds() == 5.5 * 3600
    assert parse_mail(mail("Date: 14 Nov 23 09:30 GMT\n")).date.year == 2023


def test_text_prefers_plain_over_html_in_alternative():
    msg = EmailMessage()
    msg["Subject"] = "alt"
    msg.set_content("plain version")
    msg.add_alternative("<p>html <b>version</b></p>", subtype="html")
    m = parse_mail(msg.as_bytes())
    assert m.text.strip() == "plain version"
    assert m.html.strip() == "<p>html <b>version</b></p>"
    assert m.attachments == ()


def test_text_falls_back_to_html_when_plain_is_blank():
    msg = EmailMessage()
    msg.set_content("  \n")
    msg.add_alternative("<p>the real text</p>", subtype="html")
    assert parse_mail(msg.as_bytes()).text.strip() == "the real text"


def test_html_conversion_does_not_wrap_long_lines():
    words = " ".join(f"word{i}" for i in range(60))
    raw = mail("Content-Type: text/html; charset=utf-8\n", f"<p>{words}</p>".encode())
    assert parse_mail(raw).text.strip() == words


def test_line_endings_are_normalized_but_controls_kept():
    raw = mail("Content-Type: text/plain\n", b"a\r\nb\rc\x1b[1m\x07\x00d\r\n")
    assert parse_mail(raw).text == "a\nb\nc\x1b[1m\x07d\n"


def test_attachments_are_listed_not_decoded_and_extract_on_demand():
    payload = bytes(range(256)) * 400
    msg = EmailMessage()
    msg["Subject"] = "files"
    msg.set_content("see attached")
    msg.add_attachment(payload, maintype="application", subtype="pdf", filename="report 2023.pdf")
    msg.add_attachment("a,b\n1,2\n", subtype="csv", filename="data.csv")
    raw = msg.as_bytes()
    m = parse_mail(raw)
    assert [(a.part_path, a.filename, a.content_type) for a in m.attachments] == [
        ("2", "report 2023.pdf", "application/pdf"),
        ("3", "data.csv", "text/csv"),
    ]
    assert abs(m.attachments[0].size - len(payload)) < 16
    assert extract_attachment(raw, "2") == ("report 2023.pdf", "application/pdf", payload)
    assert extract_attachment(raw, 1)[2].replace(b"\r\n", b"\n") == b"a,b\n1,2\n"
    with pytest.raises(KeyError):
        extract_attachment(raw, "9")
    with pytest.raises(KeyError):
        extract_attachment(raw, 5)


def test_single_part_non_text_message_is_an_attachment():
    raw = mail("Content-Type: application/pdf\nContent-Transfer-Encoding: base64\n", b"JVBERg==\r\n")
    m = parse_mail(raw)
    assert m.text == ""
    assert [(a.part_path, a.content_type) for a in m.attachments] == [("1", "application/pdf")]
    assert extract_attachment(raw, "1")[2] == b"%PDF"


def test_parsed_mail_is_frozen_and_picklable():
    m = parse_mail(mail("Subject: x\nFrom: a@b.c\nDate: Tue, 14 Nov 2023 09:30:00 +0100\n"))
    assert isinstance(m, ParsedMail)
    with pytest.raises(AttributeError):
        m.subject = "y"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(m)) == m
    info = AttachmentInfo("2", "a.txt", "text/plain", 3, None, False)
    assert pickle.loads(pickle.dumps(info)) == info


@pytest.mark.parametrize("raw", [None, "str input é", bytearray(b"Subject: x\r\n\r\nb"), memoryview(b"Subject: y")])
def test_parse_mail_accepts_odd_input_types(raw):
    m = parse_mail(raw)
    assert isinstance(m.text, str)


def test_parse_mail_survives_an_internal_failure(monkeypatch):
    import core.mail.mime.parse as mime_parse

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(mime_parse, "_scan", boom)
    m = parse_mail(b"Subject: x\r\n\r\nhello")
    assert "parse-error:RuntimeError" in m.defects
    assert "hello" in m.text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/absolute/path.txt", "path.txt"),
        ("..", "attachment"),
        ("../", "attachment"),
        (".bashrc", "bashrc"),
        ("...", "attachment"),
        ("", "attachment"),
        (None, "attachment"),
        ("\x1b[31mred\x1b[0m.txt", "_[31mred_[0m.txt"),
        ("a\x00b\nc.txt", "a_b_c.txt"),
        ("invoice\u202egpj.exe", "invoice_gpj.exe"),  # right-to-left override
        ("CON.txt", "_CON.txt"),
        ("what?.txt", "what_.txt"),
        ("trailing dots. . ", "trailing dots"),
        ("日本語.pdf", "日本語.pdf"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_safe_filename_bounds_length_and_keeps_extension():
    name = safe_filename("é" * 300 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode()) <= 200
    assert safe_filename("x" * 500).startswith("x") and len(safe_filename("x" * 500)) == 200


def test_mail_forwarded_as_attachment_shows_the_forwarded_text():
    inner = (
        b"From: Third <third@example.net>\r\nSubject: Original\r\n"
        b"Date: Tue, 14 Nov 2023 09:30:00 +0100\r\n\r\nThe original text.\r\n"
    )
    raw = (
        b'Subject: Fwd\r\nContent-Type: multipart/mixed; boundary="f"\r\n\r\n'
        b"--f\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--f--\r\n"
    )
    m = parse_mail(raw)
    assert "Subject: Original" in m.text and m.text.endswith("The original text.\n")
    assert [a.content_type for a in m.attachments] == ["message/rfc822"]


def test_nested_forwarded_messages_are_followed_a_bounded_number_of_times():
    m = parse_mail(b"Content-Type: message/rfc822\r\n\r\n" * 200 + b"deep")
    assert m.text.count("Forwarded message") <= 3


def test_many_encoded_words_decode_in_linear_time():
    import time

    raw = b"Subject: " + b" ".join([b"=?utf-8?q?abc=C3=A9?="] * 60_000) + b"\r\n\r\nx"
    started = time.perf_counter()
    m = parse_mail(raw)
    assert time.perf_counter() - started < 5
    assert m.subject.startswith("abcéabcé") and "subject-truncated" in m.defects


def test_deep_nesting_in_a_big_mail_stays_bounded():
    import time

    parts = [b'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n']
    for level in range(256):
        parts.append(b'--b%d\r\nContent-Type: multipart/mixed; boundary="b%d"\r\n\r\n' % (level, level + 1))
    parts.append(b"--b256\r\nContent-Type: text/plain\r\n\r\n" + b"x" * 2_000_000 + b"\r\n")
    started = time.perf_counter()
    m = parse_mail(b"".join(parts))
    assert time.perf_counter() - started < 5
    assert "scan-budget-exceeded" in m.defects


def test_a_flood_of_parts_is_cut_off():
    raw = b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    raw += b"--b\r\nContent-Type: image/png\r\n\r\nx\r\n" * 50_000 + b"--b--\r\n"
    m = parse_mail(raw)
    assert 900 <= len(m.attachments) <= 1000
    assert "too-many-parts" in m.defects


def test_boundary_lookalikes_do_not_split_parts():
    raw = (
        b'Content-Type: multipart/mixed; boundary="abc"\r\n\r\n'
        b"--abc\r\nContent-Type: text/plain\r\n\r\nkeep --abc inline and\r\n--abcdef not a delimiter\r\n"
        b"--abc  \r\nContent-Type: application/pdf\r\n\r\nPDF\r\n--abc--\r\nepilogue\r\n"
    )
    m = parse_mail(raw)
    assert m.text == "keep --abc inline and\n--abcdef not a delimiter"
    assert [a.content_type for a in m.attachments] == ["application/pdf"]
    assert extract_attachment(raw, "2")[2] == b"PDF"
    assert "missing-closing-boundary" not in m.defects


def test_hostile_html_is_converted_quickly():
    import time

    for html in ("<div>" * 100_000 + "x", "<ul>" * 5_000 + "<li>x" * 5_000, "<script>" * 100_000):
        started = time.perf_counter()
        raw = b"Content-Type: text/html\r\n\r\n" + html.encode()
        m = parse_mail(raw)
        assert time.perf_counter() - started < 5
        assert isinstance(m.text, str)
    assert parse_mail(b"Content-Type: text/html\r\n\r\n" + b"<ul>" * 500 + b"<li>item").text.strip() == "item"
