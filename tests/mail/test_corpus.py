"""Every mail in tests/corpus parses, and the known-broken ones parse the way a reader expects."""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.mail.mime import ParsedMail, extract_attachment, parse_mail, safe_filename

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
CORPUS_FILES = sorted(CORPUS_DIR.glob("*.eml"))
ESC = "\x1b"


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS_DIR / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_corpus = _load_generator()


def parsed(name: str) -> ParsedMail:
    return parse_mail((CORPUS_DIR / name).read_bytes())


def test_corpus_is_present_and_matches_its_generator():
    """The committed .eml files are exactly what make_corpus.py writes."""
    generated = make_corpus.corpus()
    assert len(generated) >= 40
    for name, data in generated.items():
        assert (CORPUS_DIR / name).read_bytes() == data, f"{name} is stale: run tests/corpus/make_corpus.py"


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_every_corpus_mail_parses(path: Path):
    raw = path.read_bytes()
    mail = parse_mail(raw)
    assert isinstance(mail.subject, str)
    assert isinstance(mail.text, str)
    assert mail.content_hash == hashlib.sha256(raw).hexdigest()
    assert mail.size == len(raw)
    assert mail.date is None or mail.date.tzinfo is not None
    assert "\x00" not in mail.text + mail.subject + mail.from_name + (mail.html or "")
    for text in (mail.subject, mail.text, mail.from_name, mail.html or ""):
        text.encode("utf-8")  # no lone surrogates: the database must accept every string
    assert mail.from_addr == mail.from_addr.lower()
    for attachment in mail.attachments:
        name, content_type, data = extract_attachment(raw, attachment.part_path)
        assert name == attachment.filename
        assert content_type == attachment.content_type
        assert isinstance(data, bytes)
        # The estimate comes from the encoded length; it must be in the right ballpark.
        assert abs(len(data) - attachment.size) <= max(8, attachment.size // 10)
        safe = safe_filename(attachment.filename)
        assert safe and "/" not in safe and "\\" not in safe and not safe.startswith(".")
        assert not any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in safe)


def _broken_utf8_body(m: ParsedMail):
    assert m.text.startswith("Bonjour ")
    assert "café ok." in m.text  # the valid UTF-8 around the broken bytes survives
    assert "invalid-utf8" in m.defects


def _broken_utf8_header(m: ParsedMail):
    assert m.subject.startswith("Café crème é mixed")
    assert m.from_name == "José García"
    assert m.from_addr == "jose@example.es"
    assert "8bit-header" in m.defects


def _utf8_label_latin1_body(m: ParsedMail):
    assert m.text == "Café crème brûlée à la française\n"


def _latin1_label_utf8_body(m: ParsedMail):
    assert m.text == "Café crème brûlée — très bien\n"
    assert "charset-mismatch" in m.defects


def _unknown_8bit(m: ParsedMail):
    assert m.text == "A naïve façade, Grüße\n"


def _x_unknown(m: ParsedMail):
    assert m.subject == "Price € 5"
    assert m.text == "“Quoted” price € 5 – thanks\n"


def _bogus_charset(m: ParsedMail):
    assert m.subject.startswith("Hello there")
    assert m.text == "Smörgåsbord\n"
    assert "unknown-charset:foo-bar-9" in m.defects


def _malformed_base64(m: ParsedMail):
    assert m.text.startswith("Hello world, this is body text. Été")


def _malformed_qp(m: ParsedMail):
    assert m.text.startswith("Café with bad escape =ZZ")
    assert "softbreak" in m.text
    assert "été" in m.text


def _missing_message_id(m: ParsedMail):
    assert m.message_id is None
    assert "missing-message-id" in m.defects
    assert m.text == "No Message-ID here.\n"


def _missing_date(m: ParsedMail):
    assert m.date is None
    assert "missing-date" in m.defects


def _garbage_date(m: ParsedMail):
    assert m.date is None
    assert "bad-date" in m.defects


def _date_without_timezone(m: ParsedMail):
    assert m.date == datetime(2023, 11, 14, 9, 30, tzinfo=UTC)
    assert "date-without-timezone" in m.defects


def _eight_bit_headers(m: ParsedMail):
    assert m.subject == "Réunion à 14h — ok ✓"
    assert m.from_name == "Zoë Ærøskøbing"
    assert m.to == (("Ŝtefan", "stefan@example.eo"), ("", "support@comptoir.example"))


def _huge_to(m: ParsedMail):
    assert 0 < len(m.to) <= 500
    assert m.to[0] == ("Recipient 0", "r0@example.net")
    assert "header-truncated:to" in m.defects
    assert m.text == "A one-megabyte To line.\n"


def _huge_references(m: ParsedMail):
    assert len(m.references) == 100
    assert m.references[0] == "<ref00000@thread.example.org>"  # the root is kept
    assert m.references[-1] == "<ref09999@thread.example.org>"  # and the newest
    assert m.in_reply_to == "<ref09999@thread.example.org>"
    assert "references-truncated" in m.defects


def _deep_nesting(m: ParsedMail):
    assert m.text.strip() == "The innermost text."


def _no_boundary(m: ParsedMail):
    assert "multipart-without-boundary" in m.defects
    assert "Text in a multipart that has no boundary." in m.text


def _missing_close(m: ParsedMail):
    assert m.text.strip() == "First part text."
    assert [a.filename for a in m.attachments] == ["cut.pdf"]
    assert "missing-closing-boundary" in m.defects


def _boundary_not_found(m: ParsedMail):
    assert "The declared boundary never appears." in m.text
    assert "boundary-not-found" in m.defects


def _ansi(m: ParsedMail):
    sample = make_corpus.ANSI_SAMPLES
    assert m.subject == f"Invoice {sample}"  # kept as is: escaping happens in the UI
    assert m.from_name == f"Mallory {sample}"
    assert sample in m.text
    assert m.attachments[0].filename == f"{sample}.pdf"
    assert ESC not in safe_filename(m.attachments[0].filename)
    assert "\x07" not in safe_filename(m.attachments[0].filename)


def _rich(m: ParsedMail):
    sample = make_corpus.RICH_SAMPLES
    assert m.subject == f"Invoice {sample}"
    assert m.from_name == f"Mallory {sample}"
    assert sample in m.text
    assert m.attachments[0].filename == f"{sample}.pdf"


def _traversal(m: ParsedMail):
    names = [a.filename for a in m.attachments]
    assert names == ["../../etc/passwd", "..\\..\\windows\\system32\\évil.dll", "/etc/.hidden\x07"]
    assert [safe_filename(n) for n in names] == ["passwd", "évil.dll", "hidden_"]


def _html_only(m: ParsedMail):
    assert m.html is not None and "<h1>Monthly news</h1>" in m.html
    assert "Monthly news" in m.text
    assert "Hello team, the café is open." in m.text
    assert "Tea" in m.text and "3 €" in m.text
    assert "alert(" not in m.text and "color: red" not in m.text
    assert "pixel.gif" not in m.text and "utm=" not in m.text


def _iso_2022_jp(m: ParsedMail):
    assert m.subject == "日本語の件名です"
    assert m.from_name == "山田太郎"
    assert m.text == "お世話になっております。\n請求書について質問があります。\n"


def _signed(m: ParsedMail):
    assert m.text.strip() == "Please find my signed request."
    assert [(a.filename, a.content_type) for a in m.attachments] == [("signature.asc", "application/pgp-signature")]


def _calendar(m: ParsedMail):
    assert m.text.strip() == "You are invited to the quarterly review."
    assert m.html == "<p>You are <b>invited</b>.</p>"
    assert [a.content_type for a in m.attachments] == ["text/calendar", "application/ics"]
    assert m.attachments[0].filename.endswith(".ics")
    assert m.attachments[1].filename == "invite.ics"


def _empty(m: ParsedMail):
    assert (m.subject, m.text, m.from_addr, m.message_id) == ("", "", "", None)
    assert "empty" in m.defects


def _headers_only(m: ParsedMail):
    assert m.subject == "Only headers"
    assert m.text == ""
    assert m.message_id == "<headers-only@example.org>"


def _bounce(m: ParsedMail):
    assert m.from_addr == "mailer-daemon@mx.comptoir.example"
    assert "Host or domain name not found" in m.text
    assert m.headers["auto-submitted"] == "auto-replied"
    assert m.headers["return-path"] == "<>"
    assert [a.content_type for a in m.attachments] == ["message/delivery-status", "text/rfc822-headers"]
    assert m.date == datetime(2023, 11, 14, 9, 31, tzinfo=UTC)


def _nul(m: ParsedMail):
    assert m.text == "Beforeafter NUL.\nLine two.\n"
    assert m.subject == "Nulin subject"
    assert "nul-bytes" in m.defects


def _related(m: ParsedMail):
    (image,) = m.attachments
    assert (image.content_type, image.content_id, image.inline) == ("image/png", "logo@x", True)
    assert "See the logo:" in m.text


def _mbox_lf(m: ParsedMail):
    assert m.subject == "Unix line ends"
    assert m.text.startswith("This file uses bare LF line ends\n")


def _split_words(m: ParsedMail):
    assert m.subject == "é€€ end plain"
    assert (m.from_name, m.from_addr) == ("Doe, Jöhn", "john.doe@example.com")
    assert m.cc == (("Anna", "anna@example.com"), ("René", "rene@example.fr"))


def _flowed(m: ParsedMail):
    assert m.text.startswith("This paragraph was wrapped by the sender's client and should read as one line.\n")
    assert "> Quoted and wrapped too." in m.text
    assert "\n-- \nSignature" in m.text


def _auto_reply(m: ParsedMail):
    assert m.headers["auto-submitted"] == "auto-replied"
    assert m.headers["precedence"] == "bulk"
    assert m.headers["list-id"] == "Customers <customers.lists.example.org>"
    assert m.headers["list-unsubscribe"] == "<mailto:leave@lists.example.org>, <https://lists.example.org/u>"
    assert m.headers["x-auto-response-suppress"] == "All"
    assert m.headers["x-original-to"] == "joe-llc@comptoir.example"
    assert m.headers["delivered-to"] == "support@comptoir.example"
    assert m.in_reply_to == "<original@comptoir.example>"
    assert m.reply_to == (("Nobody", "noreply@example.org"),)


def _forwarded(m: ParsedMail):
    assert m.text.strip() == "See below."
    (inner,) = m.attachments
    assert inner.content_type == "message/rfc822" and inner.filename.endswith(".eml")
    raw = (CORPUS_DIR / "forwarded-rfc822.eml").read_bytes()
    assert parse_mail(extract_attachment(raw, inner.part_path)[2]).subject == "Original question"


def _b64_junk(m: ParsedMail):
    raw = (CORPUS_DIR / "base64-attachment-junk.eml").read_bytes()
    name, ctype, data = extract_attachment(raw, 0)
    assert (name, ctype) == ("report.csv", "text/csv")
    assert data.startswith(b"id,name\n1,caf\xc3\xa9\n")


def _cp1252_word(m: ParsedMail):
    assert m.subject == "“Smart” quotes – and €"
    assert m.text == "Merci – à bientôt…\n"


def _cr_only(m: ParsedMail):
    assert m.subject == "Classic Mac"
    assert m.text == "Old Mac line ends.\nSecond line.\n"


def _no_colon(m: ParsedMail):
    assert m.subject == "Broken header block"
    assert m.text == "This line is not a header\nstill body\n"
    assert "missing-header-body-separator" in m.defects


EXPECTATIONS: dict[str, Callable[[ParsedMail], None]] = {
    "broken-utf8-body.eml": _broken_utf8_body,
    "broken-utf8-header.eml": _broken_utf8_header,
    "utf8-label-latin1-body.eml": _utf8_label_latin1_body,
    "latin1-label-utf8-body.eml": _latin1_label_utf8_body,
    "unknown-8bit-charset.eml": _unknown_8bit,
    "x-unknown-charset.eml": _x_unknown,
    "bogus-charset-label.eml": _bogus_charset,
    "malformed-base64.eml": _malformed_base64,
    "malformed-quoted-printable.eml": _malformed_qp,
    "missing-message-id.eml": _missing_message_id,
    "missing-date.eml": _missing_date,
    "garbage-date.eml": _garbage_date,
    "out-of-range-date.eml": _garbage_date,
    "date-without-timezone.eml": _date_without_timezone,
    "8bit-raw-headers.eml": _eight_bit_headers,
    "huge-to-header.eml": _huge_to,
    "huge-references.eml": _huge_references,
    "deep-nesting-200.eml": _deep_nesting,
    "multipart-no-boundary.eml": _no_boundary,
    "multipart-missing-close.eml": _missing_close,
    "boundary-not-found.eml": _boundary_not_found,
    "ansi-escapes.eml": _ansi,
    "rich-markup.eml": _rich,
    "rfc2231-path-traversal.eml": _traversal,
    "html-only.eml": _html_only,
    "iso-2022-jp.eml": _iso_2022_jp,
    "multipart-signed.eml": _signed,
    "calendar-invite.eml": _calendar,
    "empty.eml": _empty,
    "headers-only.eml": _headers_only,
    "bounce-report.eml": _bounce,
    "nul-bytes.eml": _nul,
    "inline-image-related.eml": _related,
    "mbox-from-line-lf.eml": _mbox_lf,
    "split-encoded-words.eml": _split_words,
    "format-flowed.eml": _flowed,
    "auto-reply-headers.eml": _auto_reply,
    "forwarded-rfc822.eml": _forwarded,
    "base64-attachment-junk.eml": _b64_junk,
    "windows-1252-encoded-word.eml": _cp1252_word,
    "cr-only-line-ends.eml": _cr_only,
    "header-without-colon.eml": _no_colon,
}


@pytest.mark.parametrize("name", sorted(EXPECTATIONS), ids=str)
def test_corpus_mail_reads_as_expected(name: str):
    EXPECTATIONS[name](parsed(name))


def test_every_generated_mail_has_expectations():
    """A mail added to the generator must say what it should parse to."""
    assert set(make_corpus.corpus()) <= set(EXPECTATIONS)
