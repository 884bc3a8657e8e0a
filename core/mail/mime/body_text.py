"""Body text: HTML to text, format=flowed, and one leaf's decoded text."""

from __future__ import annotations

import functools
import re
from email.message import Message
from typing import Any

from core.mail.mime.decoding import _decode_transfer, decode_bytes
from core.mail.mime.model import MAX_HTML_NESTING_TAGS, MAX_HTML_TAGS, MAX_HTML_TO_TEXT
from core.mail.mime.structure import _Leaf

_H2T_OPTIONS = {
    "body_width": 0,
    "ignore_images": True,
    "ignore_links": True,
    "ignore_emphasis": True,
    "ignore_tables": False,
    "unicode_snob": True,
    "single_line_break": False,
    "mark_code": False,
}
_TAG = re.compile(r"<[^>]*>")
_BLOCK_TAG = re.compile(r"(?i)<\s*/?\s*(?:p|div|br|tr|li|h[1-6]|table|blockquote|ul|ol|dl|dt|dd|pre|hr)\b[^>]*>")
_NESTING_TAG = re.compile(r"(?i)<(?:ul|ol|dl|blockquote)\b")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_RUNS = re.compile(r"\n{3,}")
_SCRIPT_STYLE_OPEN = re.compile(r"(?i)<(script|style)\b")
_SCRIPT_STYLE_CLOSE = {
    "script": re.compile(r"(?i)</script\s*>"),
    "style": re.compile(r"(?i)</style\s*>"),
}


@functools.lru_cache(maxsize=1)
def _plain_converter_class() -> type[Any]:
    import html2text

    class PlainHTML2Text(html2text.HTML2Text):
        """html2text without Markdown escaping ("1\\." or "\\-"), which is noise in a text view."""

        def handle_data(self, data: str, entity_char: bool = False) -> None:
            super().handle_data(data, True)

    return PlainHTML2Text


def _html_converter() -> Any:
    converter = _plain_converter_class()()
    for name, value in _H2T_OPTIONS.items():
        setattr(converter, name, value)
    return converter


def _without_script_and_style(html: str) -> str:
    """Drop <script> and <style> elements in one pass (an unclosed one runs to the end)."""
    kept: list[str] = []
    pos = 0
    while (opening := _SCRIPT_STYLE_OPEN.search(html, pos)) is not None:
        kept.append(html[pos : opening.start()])
        closing = _SCRIPT_STYLE_CLOSE[opening.group(1).lower()].search(html, opening.end())
        pos = len(html) if closing is None else closing.end()
    kept.append(html[pos:])
    return "".join(kept)


def _strip_tags(html: str) -> str:
    """A linear-time HTML to text: block tags become line breaks, other tags vanish."""
    import html as html_module

    text = _BLOCK_TAG.sub("\n", html)
    text = html_module.unescape(_TAG.sub("", text))
    return "\n".join(" ".join(line.split()) for line in text.split("\n"))


def html_to_text(html: str, defects: list[str] | None = None) -> str:
    """Readable text from HTML with html2text; falls back to stripping tags."""
    if len(html) > MAX_HTML_TO_TEXT:
        if defects is not None:
            defects.append("html-truncated")
        html = html[:MAX_HTML_TO_TEXT]
    html = _without_script_and_style(html)
    text = None
    # html2text is pure Python and slows down badly on tag floods and deep list or quote
    # nesting (quadratic indentation), so such markup gets the simple converter.
    if html.count("<") <= MAX_HTML_TAGS and len(_NESTING_TAG.findall(html)) <= MAX_HTML_NESTING_TAGS:
        try:
            text = _html_converter().handle(html)
        except Exception:
            if defects is not None:
                defects.append("html-conversion-failed")
    elif defects is not None:
        defects.append("html-too-complex")
    if text is None:
        text = _strip_tags(html)
    return _BLANK_RUNS.sub("\n\n", _TRAILING_SPACE.sub("\n", text)).strip("\n")


def _unflow(text: str, delsp: bool) -> str:
    """Join RFC 3676 format=flowed soft line breaks, respecting quote depth."""
    out: list[str] = []
    pending = ""
    pending_depth = -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        if pending and depth == pending_depth:
            content = pending + content
        elif pending:
            out.append(">" * pending_depth + (" " if pending_depth else "") + pending)
        pending = ""
        if content.endswith(" ") and content != "-- ":
            pending = content[:-1] if delsp else content
            pending_depth = depth
            continue
        out.append(">" * depth + (" " if depth and content else "") + content)
    if pending:
        out.append(">" * pending_depth + (" " if pending_depth else "") + pending)
    return "\n".join(out)


def _lower_param(params: Message, name: str) -> str:
    """A Content-Type parameter, lower-cased ("" when absent)."""
    value = params.get_param(name) or ""
    if not isinstance(value, str):
        # RFC 2231 form (a tuple): never read; parse_mail records it as the parse error it has always been.
        raise AttributeError(f"the {name} parameter is RFC 2231-encoded, which is not read")
    return value.lower()


def _leaf_text(raw: bytes, leaf: _Leaf, defects: list[str]) -> str:
    data, defect = _decode_transfer(raw[leaf.body_start : leaf.body_end], leaf.cte)
    if defect:
        defects.append(defect)
    text = decode_bytes(data, leaf.params.get_content_charset(), defects)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        defects.append("nul-in-body")
        text = text.replace("\x00", "")
    if leaf.content_type == "text/plain" and _lower_param(leaf.params, "format") == "flowed":
        text = _unflow(text, _lower_param(leaf.params, "delsp") == "yes")
    return text
