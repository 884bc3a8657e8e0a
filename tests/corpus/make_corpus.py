"""Write the broken-mail corpus: real-shaped .eml files that once broke, or could break, a parser.

Run `python tests/corpus/make_corpus.py` to regenerate; the output is deterministic and
tests/mail/test_corpus.py checks that the committed files match. To add a mail found in
the wild, drop the .eml next to these (any name not produced here) and add its assertions.
"""

from __future__ import annotations

import base64
import quopri
import sys
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent
ESC = "\x1b"
ANSI_SAMPLES = f"{ESC}[31mRED{ESC}[0m {ESC}]0;pwned-title\x07 {ESC}[2J"
RICH_SAMPLES = "[bold red]URGENT[/] [link=https://evil.example/]click[/link] [/]"


def crlf(text: str) -> bytes:
    """Header/body text with CRLF line ends, as IMAP servers deliver it."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8", "surrogateescape")


def headers(**extra: str) -> str:
    """A plausible header block; keyword names use _ for - and None drops the header."""
    base = {
        "Return-Path": "<customer@example.org>",
        "Delivered-To": "support@comptoir.example",
        "From": "Customer <customer@example.org>",
        "To": "Support <support@comptoir.example>",
        "Subject": "Plain subject",
        "Date": "Tue, 14 Nov 2023 09:30:00 +0100",
        "Message-ID": "<corpus-default@example.org>",
        "MIME-Version": "1.0",
    }
    for key, value in extra.items():
        name = key.replace("_", "-")
        matched = next((k for k in base if k.lower() == name.lower()), name)
        if value is None:
            base.pop(matched, None)
        else:
            base[matched] = value
    return "".join(f"{k}: {v}\n" for k, v in base.items())


def b64_lines(data: bytes) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def encoded_word(text: str, charset: str = "utf-8") -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode('ascii')}?="


def simple(name: str, body: bytes, **hdrs: str) -> tuple[str, bytes]:
    return name, crlf(headers(**hdrs) + "\n") + body


def corpus() -> dict[str, bytes]:
    mails: dict[str, bytes] = {}

    def add(name: str, data: bytes) -> None:
        mails[name] = data

    text_plain_utf8 = "text/plain; charset=utf-8"

    add(
        "broken-utf8-body.eml",
        crlf(headers(Message_ID="<broken-utf8-body@example.org>", Content_Type=text_plain_utf8,
                     Content_Transfer_Encoding="8bit") + "\n")
        + b"Bonjour \xff\xfe invalid start, truncated euro \xe2\x82 then caf\xc3\xa9 ok.\r\n",
    )
    add(
        "broken-utf8-header.eml",
        crlf(headers(Message_ID="<broken-utf8-header@example.org>", Subject="SUBJ", From="FROM"))
        .replace(b"SUBJ", b"Caf\xe9 cr\xe8me \xc3\xa9 mixed \xff")
        .replace(b"FROM", b"Jos\xc3\xa9 Garc\xc3\xada <jose@example.es>")
        + crlf("Content-Type: text/plain; charset=utf-8\n\nBody is fine.\n"),
    )
    add(
        "utf8-label-latin1-body.eml",
        crlf(headers(Message_ID="<utf8-label-latin1@example.org>", Content_Type=text_plain_utf8,
                     Content_Transfer_Encoding="8bit") + "\n")
        + "Café crème brûlée à la française\r\n".encode("latin-1"),
    )
    add(
        "latin1-label-utf8-body.eml",
        crlf(headers(Message_ID="<latin1-label-utf8@example.org>",
                     Content_Type="text/plain; charset=iso-8859-1",
                     Content_Transfer_Encoding="8bit") + "\n")
        + "Café crème brûlée — très bien\r\n".encode("utf-8"),
    )
    add(
        "unknown-8bit-charset.eml",
        crlf(headers(Message_ID="<unknown-8bit@example.org>",
                     Content_Type='text/plain; charset="unknown-8bit"',
                     Content_Transfer_Encoding="8bit") + "\n")
        + "A naïve façade, Grüße\r\n".encode("utf-8"),
    )
    add(
        "x-unknown-charset.eml",
        crlf(headers(Message_ID="<x-unknown@example.org>",
                     Subject="=?x-unknown?Q?Price_=80_5?=",
                     Content_Type="text/plain; charset=x-unknown",
                     Content_Transfer_Encoding="8bit") + "\n")
        + "“Quoted” price € 5 – thanks\r\n".encode("cp1252"),
    )
    add(
        "bogus-charset-label.eml",
        crlf(headers(Message_ID="<bogus-charset@example.org>",
                     Subject="=?x-fancy-charset?Q?Hello_there?= =?base64?Q?codec?=",
                     Content_Type='text/plain; charset="foo-bar-9"',
                     Content_Transfer_Encoding="8bit") + "\n")
        + "Smörgåsbord\r\n".encode("utf-8"),
    )
    add(
        "malformed-base64.eml",
        crlf(headers(Message_ID="<malformed-base64@example.org>", Content_Type=text_plain_utf8,
                     Content_Transfer_Encoding="base64") + "\n")
        + _broken_base64("Hello world, this is body text. Été.\n".encode()),
    )
    add(
        "malformed-quoted-printable.eml",
        crlf(headers(Message_ID="<malformed-qp@example.org>",
                     Content_Type="text/plain; charset=iso-8859-1",
                     Content_Transfer_Encoding="quoted-printable") + "\n")
        + b"Caf=E9 with bad escape =ZZ and =4 and soft=\r\nbreak, lowercase =e9t=e9, trailing =\r\n",
    )
    add(
        "missing-message-id.eml",
        crlf(headers(Message_ID=None) + "\nNo Message-ID here.\n"),
    )
    add(
        "missing-date.eml",
        crlf(headers(Message_ID="<missing-date@example.org>", Date=None) + "\nNo Date here.\n"),
    )
    add(
        "garbage-date.eml",
        crlf(headers(Message_ID="<garbage-date@example.org>", Date="next tuesday-ish, 99:99 o'clock")
             + "\nThe Date header is garbage.\n"),
    )
    add(
        "out-of-range-date.eml",
        crlf(headers(Message_ID="<out-of-range-date@example.org>", Date="Mon, 32 Feb 2023 25:61:00 +9999")
             + "\nThe Date header is out of range.\n"),
    )
    add(
        "date-without-timezone.eml",
        crlf(headers(Message_ID="<date-no-tz@example.org>", Date="Tue, 14 Nov 2023 09:30:00 -0000")
             + "\nNo timezone information.\n"),
    )
    add(
        "8bit-raw-headers.eml",
        crlf(headers(Message_ID="<8bit-headers@example.org>",
                     Subject="Réunion à 14h — ok ✓",
                     From="Zoë Ærøskøbing <zoe@example.dk>",
                     To="Ŝtefan <stefan@example.eo>, support@comptoir.example",
                     Content_Type=text_plain_utf8, Content_Transfer_Encoding="8bit")
             + "\nRaw UTF-8 in headers, as many mailers send.\n"),
    )
    many = ", ".join(f"Recipient {i} <r{i}@example.net>" for i in range(30_000))
    add(
        "huge-to-header.eml",
        crlf(headers(Message_ID="<huge-to@example.org>", To=many[: 1024 * 1024])
             + "\nA one-megabyte To line.\n"),
    )
    references = "\n ".join(f"<ref{i:05d}@thread.example.org>" for i in range(10_000))
    add(
        "huge-references.eml",
        crlf(headers(Message_ID="<huge-references@example.org>",
                     In_Reply_To="<ref09999@thread.example.org>", References=references,
                     Subject="Re: Re: Re: a very long thread")
             + "\nTen thousand References.\n"),
    )
    add("deep-nesting-200.eml", _deep_nesting(200))
    add(
        "multipart-no-boundary.eml",
        crlf(headers(Message_ID="<multipart-no-boundary@example.org>", Content_Type="multipart/mixed")
             + "\n--whatever\nContent-Type: text/plain\n\nText in a multipart that has no boundary.\n"
             + "--whatever--\n"),
    )
    add(
        "multipart-missing-close.eml",
        crlf(headers(Message_ID="<multipart-missing-close@example.org>",
                     Content_Type='multipart/mixed; boundary="XYZ"')
             + "\nThis is a MIME preamble.\n--XYZ\nContent-Type: text/plain; charset=utf-8\n\n"
             + "First part text.\n--XYZ\nContent-Type: application/pdf; name=\"cut.pdf\"\n"
             + "Content-Disposition: attachment; filename=\"cut.pdf\"\nContent-Transfer-Encoding: base64\n\n"
             + "JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5n\n"),
    )
    add(
        "boundary-not-found.eml",
        crlf(headers(Message_ID="<boundary-not-found@example.org>",
                     Content_Type='multipart/alternative; boundary="nowhere"')
             + "\n--elsewhere\nContent-Type: text/plain\n\nThe declared boundary never appears.\n"),
    )
    add("ansi-escapes.eml", _hostile("ansi", ANSI_SAMPLES))
    add("rich-markup.eml", _hostile("rich", RICH_SAMPLES))
    add("rfc2231-path-traversal.eml", _traversal())
    add(
        "html-only.eml",
        crlf(headers(Message_ID="<html-only@example.org>", Subject="Newsletter",
                     Content_Type="text/html; charset=utf-8", Content_Transfer_Encoding="quoted-printable")
             + "\n")
        + quopri.encodestring(
            "<html><head><style>p { color: red; }</style><script>alert('x')</script></head><body>"
            "<h1>Monthly news</h1><p>Hello <b>team</b>, the café is <i>open</i>.</p>"
            "<img src=\"https://tracker.example/pixel.gif\" alt=\"tracker\">"
            "<p>Read <a href=\"https://news.example/very/long/tracking?utm=1\">the article</a>.</p>"
            "<table><tr><td>Item</td><td>Price</td></tr><tr><td>Tea</td><td>3 €</td></tr></table>"
            "</body></html>\r\n".encode("utf-8")
        ),
    )
    subject_jp = "日本語の件名です"
    add(
        "iso-2022-jp.eml",
        crlf(headers(Message_ID="<iso-2022-jp@example.jp>",
                     Subject=encoded_word(subject_jp, "iso-2022-jp"),
                     From=f"{encoded_word('山田太郎', 'iso-2022-jp')} <yamada@example.jp>",
                     Content_Type="text/plain; charset=ISO-2022-JP", Content_Transfer_Encoding="7bit") + "\n")
        + "お世話になっております。\r\n請求書について質問があります。\r\n".encode("iso-2022-jp"),
    )
    add(
        "multipart-signed.eml",
        crlf(headers(Message_ID="<signed@example.org>", Subject="Signed message",
                     Content_Type='multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; '
                                  'boundary="sig-boundary"')
             + "\nThis is an OpenPGP/MIME signed message (RFC 4880 and 3156)\n"
             + "--sig-boundary\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n"
             + "Please find my signed request.\n\n--sig-boundary\n"
             + 'Content-Type: application/pgp-signature; name="signature.asc"\n'
             + 'Content-Description: OpenPGP digital signature\nContent-Disposition: attachment; filename="signature.asc"\n\n'
             + "-----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCAAdFiEE0000000000000000000000000000000000\n=AbCd\n"
             + "-----END PGP SIGNATURE-----\n\n--sig-boundary--\n"),
    )
    ics = ("BEGIN:VCALENDAR\nMETHOD:REQUEST\nPRODID:-//Example//EN\nVERSION:2.0\nBEGIN:VEVENT\n"
           "UID:meeting-42@example.org\nDTSTART:20231120T100000Z\nDTEND:20231120T110000Z\n"
           "SUMMARY:Quarterly review\nORGANIZER:mailto:boss@example.org\nEND:VEVENT\nEND:VCALENDAR\n")
    add(
        "calendar-invite.eml",
        crlf(headers(Message_ID="<invite@example.org>", Subject="Invitation: Quarterly review",
                     Content_Type='multipart/mixed; boundary="outer"')
             + "\n--outer\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n"
             + "--alt\nContent-Type: text/plain; charset=utf-8\n\nYou are invited to the quarterly review.\n"
             + "--alt\nContent-Type: text/html; charset=utf-8\n\n<p>You are <b>invited</b>.</p>\n"
             + "--alt\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\n\n" + ics
             + "--alt--\n--outer\nContent-Type: application/ics; name=\"invite.ics\"\n"
             + "Content-Disposition: attachment; filename=\"invite.ics\"\nContent-Transfer-Encoding: base64\n\n"
             + b64_lines(ics.encode()) + "\n--outer--\n"),
    )
    add("empty.eml", b"")
    add(
        "headers-only.eml",
        crlf(headers(Message_ID="<headers-only@example.org>", Subject="Only headers")).rstrip(b"\r\n"),
    )
    add("bounce-report.eml", _bounce())
    add(
        "nul-bytes.eml",
        crlf(headers(Message_ID="<nul-bytes@example.org>", Subject="Nul\x00in subject",
                     Content_Type=text_plain_utf8) + "\n")
        + b"Before\x00after NUL.\r\n\x00\x00Line two.\r\n",
    )
    add(
        "inline-image-related.eml",
        crlf(headers(Message_ID="<related@example.org>", Subject="Logo inside",
                     Content_Type='multipart/related; boundary="rel"; type="text/html"')
             + "\n--rel\nContent-Type: text/html; charset=utf-8\n\n<p>See the logo: <img src=\"cid:logo@x\"></p>\n"
             + "--rel\nContent-Type: image/png\nContent-ID: <logo@x>\nContent-Transfer-Encoding: base64\n\n"
             + b64_lines(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4) + "\n--rel--\n"),
    )
    add(
        "mbox-from-line-lf.eml",
        ("From customer@example.org Tue Nov 14 09:30:00 2023\n"
         + headers(Message_ID="<mbox-lf@example.org>", Subject="Unix line ends")
         + "\nThis file uses bare LF line ends\nand starts with an mbox From line.\n").encode(),
    )
    add(
        "split-encoded-words.eml",
        crlf(headers(Message_ID="<split-words@example.org>",
                     Subject="=?utf-8?B?w6k=?= =?utf-8?B?4oKs?=\n =?utf-8?Q?=E2=82?= =?utf-8?Q?=AC_end?= plain",
                     From="=?utf-8?Q?Doe=2C_J=C3=B6hn?= <john.doe@Example.com>",
                     Cc='"=?utf-8?B?QW5uYQ==?=" <anna@example.com>, =?iso-8859-1?q?Ren=E9?= <rene@example.fr>')
             + "\nEncoded words split a multi-byte character.\n"),
    )
    add(
        "format-flowed.eml",
        crlf(headers(Message_ID="<flowed@example.org>",
                     Content_Type="text/plain; charset=utf-8; format=flowed; delsp=no")
             + "\nThis paragraph was wrapped by the \nsender's client and should \nread as one line.\n"
             + "> Quoted and \n> wrapped too.\n\n-- \nSignature\n"),
    )
    add(
        "auto-reply-headers.eml",
        crlf(headers(Message_ID="<auto-reply@example.org>", Subject="Out of office: Re: invoice",
                     Auto_Submitted="auto-replied", Precedence="bulk",
                     List_Id="Customers <customers.lists.example.org>",
                     List_Unsubscribe="<mailto:leave@lists.example.org>,\n <https://lists.example.org/u>",
                     X_Auto_Response_Suppress="All", X_Original_To="joe-llc@comptoir.example",
                     In_Reply_To="<original@comptoir.example> (Support's message)",
                     Reply_To="Nobody <NoReply@Example.org>")
             + "\nI am out of the office until Monday.\n"),
    )
    inner = crlf(headers(Message_ID="<inner@example.org>", Subject="Original question",
                         From="Third Party <third@example.net>") + "\nThe original text.\n")
    add(
        "forwarded-rfc822.eml",
        crlf(headers(Message_ID="<forwarded@example.org>", Subject="Fwd: Original question",
                     Content_Type='multipart/mixed; boundary="fwd"')
             + "\n--fwd\nContent-Type: text/plain\n\nSee below.\n--fwd\nContent-Type: message/rfc822\n"
             + "Content-Disposition: attachment\n\n")
        + inner + crlf("\n--fwd--\n"),
    )
    add(
        "base64-attachment-junk.eml",
        crlf(headers(Message_ID="<b64-junk@example.org>", Subject="Report attached",
                     Content_Type='multipart/mixed; boundary="b"')
             + "\n--b\nContent-Type: text/plain\n\nReport attached.\n--b\n"
             + 'Content-Type: text/csv; name="report.csv"\nContent-Transfer-Encoding: base64\n'
             + 'Content-Disposition: attachment; filename="report.csv"\n\n'
             + b64_lines(b"id,name\n1,caf\xc3\xa9\n2,tea\n").rstrip("=") + "\n%%garbage%%\n--b--\n"),
    )
    add(
        "windows-1252-encoded-word.eml",
        crlf(headers(Message_ID="<cp1252-word@example.org>",
                     Subject="=?windows-1252?Q?=93Smart=94_quotes_=96_and_=80?=",
                     Content_Type="text/plain; charset=windows-1252", Content_Transfer_Encoding="8bit") + "\n")
        + "Merci – à bientôt…\r\n".encode("cp1252"),
    )
    add(
        "cr-only-line-ends.eml",
        (headers(Message_ID="<cr-only@example.org>", Subject="Classic Mac").replace("\n", "\r")
         + "\rOld Mac line ends.\rSecond line.\r").encode(),
    )
    add(
        "header-without-colon.eml",
        crlf("From: Someone <someone@example.org>\nSubject: Broken header block\n"
             "Message-ID: <no-colon@example.org>\nThis line is not a header\nstill body\n"),
    )
    return mails


def _broken_base64(data: bytes) -> bytes:
    """Base64 with junk characters inside, a truncated last quantum and a garbage trailer."""
    encoded = base64.b64encode(data).rstrip(b"=")
    return encoded[:12] + b"!!" + encoded[12:20] + b"*\r\n" + encoded[20:-1] + b"\r\n=== junk ===\r\n"


def _deep_nesting(depth: int) -> bytes:
    head = headers(Message_ID=f"<deep-{depth}@example.org>", Subject=f"Nested {depth} deep",
                   Content_Type='multipart/mixed; boundary="b0"')
    lines = [head, ""]
    for level in range(depth):
        lines.append(f"--b{level}")
        if level + 1 < depth:
            lines.append(f'Content-Type: multipart/mixed; boundary="b{level + 1}"')
            lines.append("")
    lines.append("Content-Type: text/plain; charset=utf-8")
    lines.append("")
    lines.append("The innermost text.")
    for level in range(depth - 1, -1, -1):
        lines.append(f"--b{level}--")
    return crlf("\n".join(lines) + "\n")


def _hostile(kind: str, payload: str) -> bytes:
    """Terminal escapes or Rich markup everywhere a name or text can go."""
    filename_word = encoded_word(f"{payload}.pdf")
    text = (
        headers(
            Message_ID=f"<{kind}@example.org>",
            Subject=encoded_word(f"Invoice {payload}"),
            From=f"{encoded_word(f'Mallory {payload}')} <mallory@example.org>",
            Content_Type='multipart/mixed; boundary="h"',
        )
        + "\n--h\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + b64_lines(f"Body with {payload} inside.\n".encode())
        + f'\n--h\nContent-Type: application/pdf; name="{filename_word}"\n'
        + f'Content-Disposition: attachment; filename="{filename_word}"\nContent-Transfer-Encoding: base64\n\n'
        + b64_lines(b"%PDF-1.4 fake")
        + "\n--h--\n"
    )
    return crlf(text)


def _traversal() -> bytes:
    text = (
        headers(Message_ID="<traversal@example.org>", Subject="Files for you",
                Content_Type='multipart/mixed; boundary="t"')
        + "\n--t\nContent-Type: text/plain\n\nThree files.\n"
        + "--t\nContent-Type: application/octet-stream\n"
        + "Content-Disposition: attachment; filename*=utf-8''..%2F..%2Fetc%2Fpasswd\n"
        + "Content-Transfer-Encoding: base64\n\n" + b64_lines(b"root:x:0:0") + "\n"
        + "--t\nContent-Type: application/octet-stream\n"
        + "Content-Disposition: attachment;\n filename*0*=utf-8''..%5C..%5Cwindows%5C;\n"
        + " filename*1*=system32%5C%C3%A9vil.dll\n"
        + "Content-Transfer-Encoding: base64\n\n" + b64_lines(b"MZ fake") + "\n"
        + "--t\nContent-Type: application/octet-stream; name=\"" + encoded_word("/etc/.hidden\x07") + "\"\n"
        + "Content-Transfer-Encoding: base64\n\n" + b64_lines(b"secret") + "\n--t--\n"
    )
    return crlf(text)


def _bounce() -> bytes:
    text = (
        "Return-Path: <>\nFrom: Mail Delivery System <MAILER-DAEMON@mx.comptoir.example>\n"
        "To: support@comptoir.example\nSubject: Undelivered Mail Returned to Sender\n"
        "Date: Tue, 14 Nov 2023 09:31:00 +0000 (UTC)\nMessage-ID: <bounce-1@mx.comptoir.example>\n"
        "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="rep"\n\n'
        "This is a MIME-encapsulated message.\n\n--rep\nContent-Description: Notification\n"
        "Content-Type: text/plain; charset=us-ascii\n\n"
        "This is the mail system at host mx.comptoir.example.\n\n"
        "<nobody@example.invalid>: Host or domain name not found.\n\n"
        "--rep\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.comptoir.example\n\nFinal-Recipient: rfc822; nobody@example.invalid\n"
        "Action: failed\nStatus: 5.4.4\n\n"
        "--rep\nContent-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n"
        "From: support@comptoir.example\nTo: nobody@example.invalid\nSubject: Re: your order\n"
        "Message-ID: <reply-77@comptoir.example>\n\n--rep--\n"
    )
    return crlf(text)


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else CORPUS_DIR
    for name, data in corpus().items():
        (target / name).write_bytes(data)
    print(f"wrote {len(corpus())} files to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
