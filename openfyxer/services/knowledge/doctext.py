"""The text of a document, for the knowledge base: PDF (pypdf), Word .docx (python-docx), HTML
(lxml, as mail bodies are), plain text and Markdown (charset guessed when not UTF-8)."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

from charset_normalizer import from_bytes

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


def kind_of(filename: str, content_type: str | None, data: bytes) -> str | None:
    """What the file is, by its own bytes first (a renamed file is still what it is)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                return "docx" if "word/document.xml" in z.namelist() else None
        except zipfile.BadZipFile:
            return None
    return KINDS.get(PurePath(filename or "").suffix.lower()) or TYPES.get((content_type or "").split(";")[0].strip())


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        return str(best) if best else data.decode("latin-1")


def extract(filename: str, content_type: str | None, data: bytes) -> str:
    """The document's text; a clear error for what cannot be read (an image-only PDF has no text)."""
    kind = kind_of(filename, content_type, data)
    if kind is None:
        raise ValidationError(f"{filename or 'this file'}: not a PDF, Word (.docx), HTML, Markdown or text document",
                              code="unsupported_document")
    try:
        if kind == "pdf":
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise ValidationError(f"{filename}: the PDF is password-protected", code="unreadable_document")
            text = "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)
        elif kind == "docx":
            import docx

            document = docx.Document(io.BytesIO(data))
            parts = [p.text for p in document.paragraphs]
            for table in document.tables:
                parts += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
            text = "\n".join(parts)
        elif kind == "html":
            text = html_to_text(decode(data))
        else:
            text = decode(data)
    except ValidationError:
        raise
    except Exception as e:  # the parsers raise many kinds of error for one broken file
        raise ValidationError(f"{filename}: cannot read the {kind.upper()} file ({type(e).__name__}: {e})"[:300],
                              code="unreadable_document") from e
    text = text.replace("\x00", "").strip()
    if not text:
        raise ValidationError(f"{filename}: no text found (a scanned PDF needs OCR, which is not done here)",
                              code="empty_document")
    return text[:MAX_TEXT]
