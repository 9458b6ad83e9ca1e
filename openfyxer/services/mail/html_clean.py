"""Email HTML made safe to show in the app, and made readable as plain text.

Mail is hostile input rendered inside our own page, so the sanitiser is an allow-list (nh3, the
Rust ammonia sanitiser) rather than a block-list. Beyond script removal it must also stop
tracking pixels (remote images load the moment the mail is shown) and CSS that could escape the
message's box (position/z-index overlays, app class names), which is why `class`, `id` and
most style properties are dropped.
"""

from __future__ import annotations

import html as html_lib
import re
import threading

import nh3
from lxml import etree

# Tables, fonts and alignment attributes are kept because newsletters lay out with them.
_TAGS = {
    "a", "abbr", "address", "article", "aside", "b", "bdi", "bdo", "big", "blockquote", "br",
    "caption", "center", "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn", "div",
    "dl", "dt", "em", "figcaption", "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp",
    "section", "small", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "var", "wbr",
}
# Their content is code or chrome, never text meant for the reader.
_DROP_WITH_CONTENT = {
    "script", "style", "title", "noscript", "template", "iframe", "object", "embed", "applet",
    "svg", "math", "head", "frameset", "noembed", "noframes", "select", "textarea", "button",
}
_GENERIC_ATTRS = {"align", "valign", "dir", "lang", "title", "width", "height", "bgcolor", "style", "background"}
_ATTRS = {
    "*": _GENERIC_ATTRS,
    "a": {"href"},  # no `name`: <a name> clobbers window globals of the app around it
    "img": {"src", "srcset", "alt", "border", "hspace", "vspace"},
    "font": {"color", "face", "size"},
    "table": {"border", "cellpadding", "cellspacing", "frame", "rules", "summary"},
    "td": {"colspan", "rowspan", "nowrap", "headers", "scope"},
    "th": {"colspan", "rowspan", "nowrap", "headers", "scope"},
    "col": {"span"}, "colgroup": {"span"},
    "ol": {"start", "type", "reversed"}, "ul": {"type"}, "li": {"value"},
    "hr": {"size", "noshade"},
    "blockquote": {"cite"}, "q": {"cite"}, "del": {"cite", "datetime"}, "ins": {"cite", "datetime"},
    "time": {"datetime"},
}
_SCHEMES = {"http", "https", "mailto", "tel", "cid", "data"}
# No position/z-index/transform (overlays over the app) and nothing that can carry url().
_STYLE_PROPS = {
    "color", "background-color", "font", "font-family", "font-size", "font-style", "font-weight",
    "font-variant", "text-align", "text-decoration", "text-transform", "text-indent", "line-height",
    "letter-spacing", "word-spacing", "vertical-align", "white-space", "word-break", "word-wrap",
    "overflow-wrap", "direction", "width", "height", "max-width", "min-width", "max-height",
    "min-height", "margin", "margin-top", "margin-right", "margin-bottom", "margin-left", "padding",
    "padding-top", "padding-right", "padding-bottom", "padding-left", "border", "border-top",
    "border-right", "border-bottom", "border-left", "border-color", "border-style", "border-width",
    "border-radius", "border-collapse", "border-spacing", "table-layout", "display", "float",
    "clear", "list-style-type", "opacity", "visibility", "text-shadow", "box-sizing",
}
_BACKGROUND_PROPS = {"background", "background-image"}
_SAFE_DATA_IMAGE = re.compile(r"data:image/(?:png|jpe?g|gif|webp)[;,]", re.I)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")\s]*)\1\s*\)", re.I)
_CSS_LOADS = re.compile(r"url\(|image-set|image\(|cross-fade|element\(", re.I)
# Anything that could smuggle a URL or script past a property check: escapes, comments,
# IE expressions, behaviour bindings, imports.
_CSS_DANGER = re.compile(r"[\\<>]|/\*|expression|javascript|vbscript|-moz-binding|behavior|@import", re.I)
# Set by the attribute filter while a clean() call runs in this thread (nh3 calls the filter
# synchronously), so detection costs no second pass over the document.
_seen = threading.local()


def _is_remote(url: str) -> bool:
    low = url.lstrip().lower()
    return low.startswith(("http://", "https://", "//"))


def _image_url(url: str, allow_remote: bool) -> str | None:
    low = url.strip().lower()
    if _is_remote(low):
        _seen.remote = True
        return url.strip() if allow_remote else None
    if low.startswith("cid:"):
        return url.strip()
    if low.startswith("data:"):
        return url.strip() if _SAFE_DATA_IMAGE.match(low) else None
    return None  # relative or unknown scheme: nothing sensible to load in an email


def _background_ok(value: str, allow_remote: bool) -> bool:
    urls = [u for _, u in _CSS_URL.findall(value)]
    if not all(_image_url(u, allow_remote) for u in urls):
        return False
    # Whatever is left must not load anything either (image-set() takes bare strings).
    return _CSS_LOADS.search(_CSS_URL.sub("", value)) is None


def _clean_style(value: str, allow_remote: bool) -> str | None:
    if _CSS_DANGER.search(value):
        return None
    kept = []
    for decl in value.split(";"):
        name, sep, val = decl.partition(":")
        name, val = name.strip().lower(), val.strip()
        if not sep or not val:
            continue
        if name in _BACKGROUND_PROPS:
            if not _background_ok(val, allow_remote):
                continue
        elif name not in _STYLE_PROPS or _CSS_LOADS.search(val):
            continue
        kept.append(f"{name}: {val}")
    return "; ".join(kept) or None


def _attribute_filter(allow_remote: bool):
    def keep(tag: str, attr: str, value: str) -> str | None:
        if tag not in _TAGS:  # nh3 asks about elements it is about to drop as well
            return None
        if attr == "style":
            return _clean_style(value, allow_remote)
        if attr in ("src", "background"):
            return _image_url(value, allow_remote)
        if attr == "srcset":
            urls = [c.split()[0] for c in value.split(",") if c.strip()]
            return value if urls and all(_image_url(u, allow_remote) for u in urls) else None
        if attr == "href" and value.strip().lower().startswith("data:"):
            return None
        return value

    return keep


def _absolute_only(url: str) -> str | None:
    # Relative links would resolve against the app's own origin; protocol-relative ones are
    # plain remote URLs and are upgraded to https.
    return "https:" + url if url.startswith("//") else None


def _cleaner(allow_remote: bool) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_ATTRS,
        attribute_filter=_attribute_filter(allow_remote),
        url_schemes=_SCHEMES,
        url_relative=_absolute_only,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


_CLEANERS = {False: _cleaner(False), True: _cleaner(True)}


def sanitize_html(html: str, *, allow_remote_images: bool = False) -> str:
    """Return `html` with only inert markup left; remote images survive only when allowed.

    `cid:` images (parts of the same message) and `data:` PNG/JPEG/GIF/WebP images are kept.
    """
    return clean_html(html, allow_remote_images=allow_remote_images)[0]


def clean_html(html: str, *, allow_remote_images: bool = False) -> tuple[str, bool]:
    """`sanitize_html`, plus whether the input had remote images (in src, srcset, background
    attributes or CSS url()) on elements that survive sanitising: the "show images" hint."""
    if not html:
        return "", False
    _seen.remote = False
    out = _CLEANERS[bool(allow_remote_images)].clean(html)
    return out, _seen.remote


# Zero-width padding that newsletters put in their preview text; ZWJ stays (emoji sequences).
_INVISIBLE = re.compile("[\u200b\u200c\u2060\ufeff\u034f\u00ad]")
_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\n\r\f\v]+")
_TAG = re.compile(r"<[^>]*>")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_SKIP = {"script", "style", "head", "title", "noscript", "template", "svg", "math", "object", "iframe",
         "select", "textarea", "button"}
_PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "blockquote", "pre",
              "hr", "address", "figure"}
_LINE = {"div", "tr", "li", "dt", "dd", "center", "section", "article", "header", "footer", "form",
         "caption", "nav", "aside", "main", "fieldset", "legend", "details", "summary", "figcaption"}


class _TextTarget:
    """lxml parser target collecting text in reading order, one line per block.

    A streaming target instead of inscriptis: inscriptis lays tables out as grids, which turns
    the layout tables of newsletters into side columns interleaved line by line with thousands
    of padding spaces, and it was 4x slower on the corpus (a third of all parse time).
    """

    def __init__(self) -> None:
        self.out: list[str] = []
        self.skip = 0  # depth inside elements whose content is not text
        self.pre = 0
        self.newlines = 2  # line breaks at the end of `out`; blocks ask for "at least n"

    def _break(self, n: int) -> None:
        if self.newlines < n:
            self.out.append("\n" * (n - self.newlines))
            self.newlines = n

    def start(self, tag, attrib) -> None:
        if self.skip or tag in _SKIP:
            self.skip += tag in _SKIP
        elif tag == "br":
            self.out.append("\n")
            self.newlines += 1
        elif tag in ("td", "th"):
            self.out.append("  ")
        elif tag == "li":
            self._break(1)
            self.out.append("* ")
            self.newlines = 0
        elif tag in _PARAGRAPH:
            self._break(2)
            if tag == "pre":
                self.pre += 1
                self.out.append(_PRE)
        elif tag in _LINE:
            self._break(1)

    def end(self, tag) -> None:
        if self.skip:
            self.skip -= tag in _SKIP
        elif tag in _PARAGRAPH:
            self.pre -= tag == "pre"
            self._break(2)
        elif tag in _LINE:
            self._break(1)

    def data(self, text: str) -> None:
        if self.skip or (self.newlines and not text.strip()):
            return
        self.out.append(text.replace("\n", "\n" + _PRE) if self.pre > 0 else _SPACES.sub(" ", text))
        self.newlines = 0

    def close(self) -> str:
        return "".join(self.out)


_PRE = "\x01"  # marks lines inside <pre>, whose spacing is kept


def html_to_text(html: str) -> str:
    """Readable plain text for `html`: one line per block, table cells side by side, scripts,
    styles and the head left out, runs of blank lines collapsed to one."""
    if not html or not html.strip():
        return ""
    try:
        parser = etree.HTMLParser(target=_TextTarget(), remove_comments=True, remove_pis=True)
        parser.feed(_XML_DECLARATION.sub("", html.replace(_PRE, ""), count=1))
        text = parser.close()
    except Exception:  # noqa: BLE001 - a document lxml refuses still has text worth keeping
        text = html_lib.unescape(_TAG.sub(" ", html))
    lines = (
        line[1:] if line.startswith(_PRE) else " ".join(line.split())
        for line in text.replace("\u00a0", " ").split("\n")
    )
    return tidy_text("\n".join(lines))


def tidy_text(text: str) -> str:
    """Drop invisible padding and trailing blanks; collapse runs of blank lines to one."""
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    # Per line, not a multiline regex: `[ \t]+$` is quadratic on long runs of layout spaces.
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip("\n")
