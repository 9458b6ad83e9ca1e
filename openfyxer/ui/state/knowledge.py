"""Knowledge (documents, indexing progress, questions with sources), one document, and the chat:
thin handlers over services.documents, knowledge, rag and chat, as the REST API's routes are."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import aclosing

import reflex as rx

from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError
from openfyxer.models.knowledge_api import Answer
from openfyxer.models.user import User
from openfyxer.services.assistant import llm
from openfyxer.services.knowledge import chat, documents, indexing, rag
from openfyxer.ui.state.mail import MailState

UPLOAD_ID = "documents"


def _href(kind: str, source_id: object, link: str | None = None) -> str:
    """Where a source opens: its own link when it has one (a meeting at the moment cited), else an email
    or a document on its own page, a waiting draft among the drafts, a calendar event on the calendar."""
    if link and link.startswith("/") and not link.startswith("//"):  # ours, relative: never another site
        return link
    return {"email": f"/email/{source_id}", "draft": "/drafts",
            "event": "/calendar"}.get(kind, f"/document/{source_id}")


def _sources(answer: Answer) -> list[dict]:
    return [{"n": str(s.n), "kind": s.kind, "title": s.title, "date": s.date or "", "snippet": s.snippet,
             "href": _href(s.kind, s.id, s.link)} for s in answer.sources]


def _add(user_id: uuid.UUID, name: str | None, content_type: str | None, data: bytes,
         ip: str | None) -> tuple[str, str]:
    with session_scope() as db:
        doc = documents.add(db, user=db.get(User, user_id), filename=name, content_type=content_type, data=data,
                            ip=ip)
        return str(doc.id), doc.filename or ""


def _text(user_id: uuid.UUID, document_id: uuid.UUID) -> str:
    with session_scope() as db:
        doc = documents.get(db, user=db.get(User, user_id), document_id=document_id)
        return (documents.text_of(doc) or "")[:200_000]


class KnowledgeState(MailState):
    docs: list[dict] = []
    progress_text: str = ""
    upload_percent: int = 0
    uploading: bool = False
    notice: str = ""
    question: str = ""
    asking: bool = False
    answer: str = ""
    grounded: bool = True
    sources: list[dict] = []

    def load(self):  # noqa: ANN201
        return self._load_page() or KnowledgeState.watch

    @rx.event(background=True)
    async def watch(self):  # noqa: ANN201
        async for update in self._watch():
            yield update

    def _load(self) -> None:
        self._read()

    def _live(self) -> None:
        self._read()

    def _read(self) -> None:
        with session_scope() as db:
            user = self._user(db)
            rows, _ = documents.list_documents(db, user=user, source="upload", limit=200)
            p = indexing.progress(db, user_id=user.id)
        self.docs = [{"id": str(d.id), "name": d.filename or "", "size": self._t("{size} KB", size=self._num(max(1, round((d.file_size or 0) / 1024)))),
                      "when": self._when(d.created_at), "indexed": d.indexed_at is not None} for d in rows]
        self.progress_text = self._t("{emails} of {total} emails and {docs} of {dtotal} documents are searchable.",
                                     emails=self._num(p.emails_indexed), total=self._num(p.emails),
                                     docs=self._num(p.documents_indexed), dtotal=self._num(p.documents))

    def upload_progress(self, progress: dict) -> None:
        self.uploading = progress.get("progress", 1) < 1
        self.upload_percent = int(100 * float(progress.get("progress", 0)))

    async def handle_upload(self, files: list[rx.UploadFile]):  # noqa: ANN201
        """Each file is checked and read now (a bad one is named plainly), indexed in the background.
        Reading runs in a thread (and a sandboxed process): the event loop serves every tab meanwhile."""
        self.error, self.notice, added = "", "", []
        if (user_id := self._signed_in_id()) is None:
            return None
        ip = self.router.session.client_ip
        for file in files:
            data = await file.read()
            try:
                added.append(await asyncio.to_thread(_add, user_id, file.name, file.content_type, data, ip))
            except OpenFyxerError as e:
                self._fail(e)
        if added:
            self.notice = self._t("Added {names}; indexing now.", names=", ".join(n for _, n in added))
        self.uploading, self.upload_percent = False, 0
        self._read()
        return None

    def delete(self, document_id: str) -> None:
        self.error, self.notice = "", ""
        try:
            with session_scope() as db:
                documents.remove(db, user=self._user(db), document_id=uuid.UUID(document_id),
                                 ip=self.router.session.client_ip)
        except OpenFyxerError as e:
            self._fail(e)
            return
        self._read()

    def set_question(self, value: str) -> None:
        self.question = value[:2000]

    @rx.event(background=True)
    async def ask(self):  # noqa: ANN201
        """Retrieval and the model run in a thread: the page stays live while they work."""
        async with self:
            question = self.question.strip()
            if self.asking or not question:
                return
            self.asking, self.error, self.answer, self.sources = True, "", "", []
            nothing = self._t("I could not find anything about this in your mail or documents.")
            if (user_id := self._signed_in_id()) is None:
                self.asking = False
                return

        def work() -> Answer:
            with session_scope() as db:
                result = rag.answer(db, user=db.get(User, user_id), question=question)
            return result if result.grounded else Answer(answer=nothing, grounded=False, sources=result.sources)

        try:
            result = await asyncio.to_thread(work)
        except OpenFyxerError as e:
            async with self:
                self.asking = False
                self._fail(e)
            return
        async with self:
            self.asking, self.answer, self.grounded, self.sources = False, result.answer, result.grounded, \
                _sources(result)


class DocumentState(MailState):
    """One document's text, where a citation leads."""

    name: str = ""
    text: str = ""
    when: str = ""

    @rx.var
    def document_id(self) -> str:
        return str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1]

    def load(self):  # noqa: ANN201
        return self._load_page() or DocumentState.read

    def _load(self) -> None:
        with session_scope() as db:
            doc = documents.get(db, user=self._user(db), document_id=self._id())
            self.name, self.when, self.text = doc.filename or "", self._when(doc.created_at), ""

    def _id(self) -> uuid.UUID:
        try:
            return uuid.UUID(self.document_id)
        except ValueError:
            raise OpenFyxerError("no such document") from None

    @rx.event(background=True)
    async def read(self):  # noqa: ANN201
        """The text, in a thread: an attachment nobody has read yet is read now, in a sandboxed process."""
        async with self:
            if self.error or (user_id := self._signed_in_id()) is None:
                return
            document_id = self._id()
        try:
            text = await asyncio.to_thread(_text, user_id, document_id)
        except OpenFyxerError as e:
            async with self:
                self._fail(e)
            return
        async with self:
            self.text = text


class ChatState(MailState):
    messages: list[dict] = []
    draft: str = ""
    partial: str = ""  # the answer as it is being written
    waiting: str = ""  # where the question stands while the model answers others first
    thinking: bool = False

    def load(self):  # noqa: ANN201
        return self._load_page()

    def _load(self) -> None:
        with session_scope() as db:
            rows = chat.history(db, user=self._user(db), limit=100)
        self.messages = [self._message(m.role, m.content, m.sources or [], m.grounded) for m in rows]

    def _message(self, role: str, content: str, sources: list, grounded: bool) -> dict:
        return {"role": role, "content": content, "grounded": grounded, "sources": [
            {"n": str(s["n"]), "title": s["title"], "date": s.get("date") or "",
             "href": _href(s["kind"], s["id"], s.get("link"))} for s in sources]}

    def set_draft(self, value: str) -> None:
        self.draft = value[:2000]

    def clear(self) -> None:
        with session_scope() as db:
            chat.clear(db, user=self._user(db))
        self.messages = []

    @rx.event(background=True)
    async def send(self):  # noqa: ANN201
        """The answer shows as the model writes it; question and answer are saved once it is whole."""
        async with self:
            message = self.draft.strip()
            if self.thinking or not message:
                return
            self.thinking, self.error, self.draft, self.partial, self.waiting = True, "", "", "", ""
            self.messages = [*self.messages, self._message("user", message, [], True)]
            nothing = self._t("I could not find anything about this in your mail or documents.")
            if (user_id := self._signed_in_id()) is None:
                self.thinking = False
                return

        def prepare() -> rag.Prepared:
            with session_scope() as db:
                return chat.prepare(db, user=db.get(User, user_id), message=message)

        try:
            prepared = await asyncio.to_thread(prepare)
            pieces: list[str] = []
            ahead = None
            # Leaving this loop any way (an error, the task cancelled) closes the stream: a question
            # nobody waits for any more gives up its place at the model.
            async with aclosing(llm.follow(rag.stream(prepared), join=True)) as followed:
                async for kind, value in followed:
                    if kind == "waiting":
                        if value != ahead:  # redrawn when the count changes, not at every look
                            ahead = value
                            async with self:
                                self.waiting = self._t("Waiting for the model ({ahead} ahead)…",
                                                       ahead=self._num(value))
                        continue
                    pieces.append(value)
                    async with self:
                        self.partial, self.waiting = "".join(pieces), ""
            answer = rag.finish(prepared, "".join(pieces), nothing=nothing)

            def save() -> None:
                with session_scope() as db:
                    chat.save(db, user=db.get(User, user_id), message=message, answer=answer)

            await asyncio.to_thread(save)
        except OpenFyxerError as e:
            async with self:
                self.thinking, self.partial, self.waiting = False, "", ""
                self._fail(e)
            return
        async with self:
            self.thinking, self.partial, self.waiting = False, "", ""
            self.messages = [*self.messages, self._message(
                "assistant", answer.answer, [s.model_dump(mode="json") for s in answer.sources], answer.grounded)]
