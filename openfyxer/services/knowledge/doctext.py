"""The text of a document, for the knowledge base: PDF (pypdf), Word .docx (python-docx), HTML
(lxml, as mail bodies are), plain text and Markdown (charset guessed when not UTF-8).

The files come from strangers (an upload, or an attachment of synced mail), and a few kilobytes
can ask a parser for a gigabyte or a minute. So every file is read in a sandboxed child process
(core.sandbox) within LIMITS, and checked against the caps below before it is parsed: a .docx by
the sizes its zip declares (zipfile never inflates a part past its declared size), a PDF by its
page count. Whatever goes over is refused with a clear error, never parsed in the server.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

from charset_normalizer import from_bytes

from openfyxer.core import sandbox
from openfyxer.core.errors import ValidationError
from openfyxer.services.mail.html_clean import html_to_text

KINDS = {
    ".pdf": "pdf", ".docx": "docx", ".txt": "text", ".text": "text", ".md": "text", ".markdown": "text",
    ".csv": "text", ".html": "html", ".htm": "html",
}
TYPES = {"application/pdf": "pdf", "text/plain": "text", "text/markdown": "text", "text/csv": "text",
         "text/html": "html",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx"}
MAX_TEXT = 2_000_000  # characters kept per document (a few hundred pages)

# What a document may be, checked before parsing. Each is far above a real file and far below
# what the sandbox's memory holds; the values live here, not in settings, because they guard
# the parsers rather than describe an installation.
MAX_PAGES = 2_000  # a longer PDF is a book scan or a bomb
ZIP_MAX_ENTRIES = 2_000  # a real .docx has 10-50 parts, a few hundred with many pictures
ZIP_MAX_PART = 100 * 1024 * 1024  # one part unpacked (python-docx holds every part in memory)
ZIP_MAX_TOTAL = 200 * 1024 * 1024  # all parts unpacked
ZIP_MAX_RATIO = 100  # Word's XML packs 5-20 times; a deflate bomb packs up to ~1,000
ZIP_RATIO_FROM = 1024 * 1024  # a small part may pack tighter: it costs nothing either way
# pypdf reads a page of 3,000 characters in ~5 ms, and MAX_TEXT is reached after ~600 of them:
# 20 s of processor time leaves room for heavy fonts. The wall clock allows for a busy machine,
# where the child (at a lower priority) gets less than a core.
LIMITS = sandbox.Limits(memory_mb=768, cpu_seconds=20, wall_seconds=40)


def kind_of(filename: str, content_type: str | None, data: bytes) -> str | None:
    """What the file is, by its own bytes first (a renamed file is still what it is). A zip is
    "zip" here: whether it is a Word file is read in the sandbox (its directory may be huge)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    return KINDS.get(PurePath(filename or "").suffix.lower()) or TYPES.get((content_type or "").split(";")[0].strip())


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        return str(best) if best else data.decode("latin-1")


def _unsupported(filename: str) -> ValidationError:
    return ValidationError(f"{filename or 'this file'}: not a PDF, Word (.docx), HTML, Markdown or text document",
                           code="unsupported_document")


def extract(filename: str, content_type: str | None, data: bytes) -> str:
    """The document's text; a clear error for what cannot be read (an image-only PDF has no text)
    or costs more to read than a document may (code "document_too_large" / "document_too_costly")."""
    kind = kind_of(filename, content_type, data)
    if kind is None:  # told without parsing: no child for a picture
        raise _unsupported(filename)
    try:
        return sandbox.run(read, filename, kind, data, limits=LIMITS)
    except sandbox.SandboxLimit as e:
        raise ValidationError(f"{filename or 'this file'}: reading it {e.message}, more than a document may cost",
                              code="document_too_costly") from e
    except sandbox.SandboxError as e:
        raise ValidationError(f"{filename}: cannot read the file ({e.message})"[:300],
                              code="unreadable_document") from e


def read(filename: str, kind: str, data: bytes) -> str:
    """The parsing itself, run in the sandbox: `extract` is the way in."""
    try:
        if kind == "zip":
            kind = _word_or_none(filename, data)
        if kind == "pdf":
            text = _pdf_text(filename, data)
        elif kind == "docx":
            text = _docx_text(data)
        elif kind == "html":
            text = html_to_text(decode(data))
        else:
            text = decode(data)
    except (ValidationError, MemoryError):  # ours, and the sandbox's memory limit
        raise
    except Exception as e:  # the parsers raise many kinds of error for one broken file
        raise ValidationError(f"{filename}: cannot read the {kind.upper()} file ({type(e).__name__}: {e})"[:300],
                              code="unreadable_document") from e
    text = text.replace("\x00", "").strip()
    if not text:
        raise ValidationError(f"{filename}: no text found (a scanned PDF needs OCR, which is not done here)",
                              code="empty_document")
    return text[:MAX_TEXT]


def _word_or_none(filename: str, data: bytes) -> str:
    """"docx" for a Word file whose zip is within the caps, by what its directory declares (nothing
    is inflated: zipfile stops a part at its declared size, so a part that lies fails its CRC)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts = z.infolist()
    except zipfile.BadZipFile:
        raise _unsupported(filename) from None
    if not any(p.filename == "word/document.xml" for p in parts):
        raise _unsupported(filename)
    if len(parts) > ZIP_MAX_ENTRIES:
        raise _too_large(filename, f"has {len(parts):,} parts; at most {ZIP_MAX_ENTRIES:,} are read")
    for p in parts:
        if p.file_size > ZIP_RATIO_FROM and p.file_size > ZIP_MAX_RATIO * max(p.compress_size, 1):
            raise _too_large(filename, f"{p.filename} unpacks to {p.file_size // max(p.compress_size, 1):,} times "
                                       f"its packed size, as a zip bomb does")
        if p.file_size > ZIP_MAX_PART:
            raise _too_large(filename, f"{p.filename} unpacks to {p.file_size / 1048576:,.0f} MB; "
                                       f"at most {ZIP_MAX_PART // 1048576} MB are read")
    total = sum(p.file_size for p in parts)
    if total > ZIP_MAX_TOTAL:
        raise _too_large(filename, f"unpacks to {total / 1048576:,.0f} MB; at most {ZIP_MAX_TOTAL // 1048576} MB "
                                   f"are read")
    return "docx"


def _too_large(filename: str, why: str) -> ValidationError:
    return ValidationError(f"{filename or 'this file'}: {why}", code="document_too_large")


def _pdf_text(filename: str, data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValidationError(f"{filename}: the PDF is password-protected", code="unreadable_document")
        if (pages := len(reader.pages)) > MAX_PAGES:  # the page tree as walked, not the /Count it claims
            raise _too_large(filename, f"has {pages:,} pages; at most {MAX_PAGES:,} are read")
        texts, size = [], 0
        for page in reader.pages:
            texts.append((page.extract_text() or "").strip())
            size += len(texts[-1]) + 2
            if size > MAX_TEXT:  # the rest would be cut anyway
                break
    except LimitReachedError as e:  # pypdf's own guards (stream sizes, tokens per stream): a bomb, not a broken file
        raise ValidationError(f"{filename}: reading it goes past the PDF reader's limits ({e})"[:300],
                              code="document_too_costly") from e
    return "\n\n".join(texts)


def _docx_text(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(parts)
