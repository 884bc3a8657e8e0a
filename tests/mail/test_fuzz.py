"""Property tests: parse_mail never raises, and well-formed mail round-trips."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from core.mail.mime import extract_attachment, parse_mail, safe_filename

CORPUS = sorted((Path(__file__).resolve().parent.parent / "corpus").glob("*.eml"))
# Small corpus files only, so that each mutation stays fast.
SMALL_CORPUS = [p.read_bytes() for p in CORPUS if p.stat().st_size < 20_000]

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_invariants(raw: bytes) -> None:
    mail = parse_mail(raw)
    assert isinstance(mail.subject, str) and isinstance(mail.text, str)
    assert mail.content_hash == hashlib.sha256(raw).hexdigest()
    for text in (mail.subject, mail.text, mail.from_name, mail.html or "", *mail.headers.values()):
        assert "\x00" not in text
        text.encode("utf-8")
    for attachment in mail.attachments:
        extract_attachment(raw, attachment.part_path)
        safe_filename(attachment.filename)


MIME_TOKENS = [
    b"\r\n",
    b"\n",
    b"\r",
    b": ",
    b"--",
    b"--b",
    b"--b--",
    b"=?",
    b"?=",
    b"?B?",
    b"?Q?",
    b"=?utf-8?B?",
    b"=?iso-2022-jp?B?GyRC",
    b"=",
    b"=ZZ",
    b"\x00",
    b"\x1b[2J",
    b"\xff\xfe",
    b"\xc3",
    b"\t",
    b"Content-Type: multipart/mixed; boundary=b\r\n",
    b'Content-Type: multipart/alternative; boundary=""\r\n',
    b"Content-Type: text/plain; charset=x-unknown\r\n",
    b"Content-Type: text/html; charset=utf-7\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
    b"Content-Disposition: attachment; filename*0*=utf-8''%FF%2F..; filename*1=x\r\n",
    b"Subject: ",
    b"From: ",
    b"To: ",
    b"Date: ",
    b"References: <",
    b"Message-ID: ",
    b"<",
    b">",
    b"@",
    b",",
    b'"',
    b"(",
    b")",
    b"\\",
    b"[bold]",
    b"format=flowed",
    b"Content-Type: message/rfc822\r\n",
    b"Content-Type: multipart/digest; boundary=b\r\n",
]


@FUZZ
@given(st.binary(max_size=4096))
@example(b"")
@example(b"\r\n\r\n")
@example(b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n")
def test_random_bytes_never_raise(raw: bytes):
    check_invariants(raw)


@FUZZ
@given(st.lists(st.sampled_from(MIME_TOKENS) | st.binary(max_size=12), max_size=80))
def test_mime_shaped_token_soup_never_raises(tokens: list[bytes]):
    check_invariants(b"".join(tokens))


@st.composite
def mutated_corpus_mail(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SMALL_CORPUS)))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            data += draw(st.binary(min_size=1, max_size=16))
            continue
        position = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate", "token"]))
        if action == "flip":
            data[position] = draw(st.integers(0, 255))
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[position : position + draw(st.integers(1, 64))]
        elif action == "truncate":
            del data[position:]
        elif action == "duplicate":
            end = min(len(data), position + draw(st.integers(1, 256)))
            data[position:position] = data[position:end]
        else:
            data[position:position] = draw(st.sampled_from(MIME_TOKENS))
    return bytes(data)


@FUZZ
@given(mutated_corpus_mail())
def test_mutated_corpus_mail_never_raises(raw: bytes):
    check_invariants(raw)


# Text that survives a trip through a mail: no surrogates, no NUL (dropped on purpose), and
# no bare CR or other line breaks that mail normalizes.
SAFE_TEXT = st.characters(
    blacklist_categories=["Cs", "Cc", "Zl", "Zp"],
    blacklist_characters="\u0085\ufeff",
)
LINE = st.text(SAFE_TEXT, max_size=60)
SUBJECT = st.text(SAFE_TEXT, min_size=1, max_size=120).map(lambda s: " ".join(s.split())).filter(bool)
# A blank plain part gives way to the HTML alternative, so bodies carry some text.
BODY = st.lists(LINE, min_size=1, max_size=20).map(lambda lines: "\n".join(lines) + "\n").filter(str.strip)
FILENAME = (
    st.text(
        st.characters(blacklist_categories=["Cs", "Cc", "Zl", "Zp"], blacklist_characters='\\"\u0085\ufeff'),
        min_size=1,
        max_size=60,
    )
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)
# The stdlib's parameter unquoting drops the brackets of a whole "<...>" value.
FILENAME = FILENAME.filter(lambda s: not (s.startswith("<") and s.endswith(">")))


@settings(max_examples=150, deadline=None)
@given(
    subject=SUBJECT,
    body=BODY,
    files=st.lists(st.tuples(FILENAME, st.binary(max_size=3000)), max_size=3),
    as_html=st.booleans(),
)
def test_generated_mail_round_trips(subject: str, body: str, files, as_html: bool):
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = subject
    msg["From"] = "Sender <sender@example.org>"
    msg["To"] = "support@comptoir.example"
    msg["Message-ID"] = "<fuzz@example.org>"
    msg.set_content(body)
    if as_html:
        msg.add_alternative("<p>ignored when plain text exists</p>", subtype="html")
    for name, data in files:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    raw = msg.as_bytes()
    mail = parse_mail(raw)
    assert mail.subject == subject
    # set_content may add a trailing newline and strips trailing whitespace on some lines.
    assume("\r" not in body)
    assert [line.rstrip() for line in mail.text.rstrip("\n").split("\n")] == [
        line.rstrip() for line in body.rstrip("\n").split("\n")
    ]
    assert [a.filename for a in mail.attachments] == [name for name, _ in files]
    for attachment, (name, data) in zip(mail.attachments, files, strict=True):
        assert extract_attachment(raw, attachment.part_path) == (name, "application/octet-stream", data)


HTML_TOKENS = [
    "<p>",
    "</p>",
    "<div>",
    "<ul>",
    "<li>",
    "<ol>",
    "<blockquote>",
    "<table>",
    "<tr>",
    "<td>",
    "<a href='x'>",
    "</a>",
    "<img src=x>",
    "<script>",
    "</script>",
    "<style>",
    "<br>",
    "&amp;",
    "&#0;",
    "&#xD800;",
    "&bogus;",
    "<!--",
    "-->",
    "<![CDATA[",
    "<pre>",
    "<b>",
    "*",
    "1.",
    "\x1b[31m",
]


@FUZZ
@given(st.lists(st.sampled_from(HTML_TOKENS) | st.text(max_size=10), max_size=60))
def test_html_only_mail_never_raises(tokens: list[str]):
    html = "".join(tokens)
    raw = b"Content-Type: text/html; charset=utf-8\r\n\r\n" + html.encode("utf-8", "surrogatepass")
    check_invariants(raw)
