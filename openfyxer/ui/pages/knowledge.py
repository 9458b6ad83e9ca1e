"""Knowledge (documents and questions with sources), one document, and the chat."""

from __future__ import annotations

import reflex as rx

from openfyxer.ui.components.layout import frame
from openfyxer.ui.components.translated import t
from openfyxer.ui.i18n import N_
from openfyxer.ui.pages.mail import _error
from openfyxer.ui.state.knowledge import UPLOAD_ID, ChatState, DocumentState, KnowledgeState

ACCEPT = {"application/pdf": [".pdf"], "text/plain": [".txt"], "text/markdown": [".md", ".markdown"],
          "text/html": [".html", ".htm"],
          "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [".docx"]}


def _source(s: dict) -> rx.Component:
    return rx.link(
        rx.hstack(rx.badge("[", s["n"], "]"), rx.text(s["title"], weight="bold", size="2"),
                  rx.text(s["date"], size="1", color_scheme="gray"), align="center", wrap="wrap"),
        href=s["href"], underline="none", class_name="source-link",
    )


def _answer() -> rx.Component:
    return rx.cond(
        KnowledgeState.answer != "",
        rx.card(
            rx.vstack(
                rx.text(KnowledgeState.answer, white_space="pre-wrap", id="answer-text"),
                rx.cond(KnowledgeState.sources.length() > 0, rx.vstack(
                    rx.text(t("Sources"), size="1", weight="bold", color_scheme="gray"),
                    rx.foreach(KnowledgeState.sources, lambda s: rx.vstack(
                        _source(s), rx.text(s["snippet"], size="1", color_scheme="gray"), spacing="0")),
                    id="answer-sources", spacing="2", width="100%",
                )),
                width="100%",
            ),
            width="100%", id="answer",
        ),
    )


def _documents() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Documents"), size="4", as_="h2"),
        rx.text(t("PDF, Word (.docx), HTML, Markdown or text. Their text is searched with your mail."), size="2",
                color_scheme="gray"),
        rx.upload(
            rx.vstack(rx.icon("upload", aria_hidden="true"),
                      rx.text(t("Drop files here, or choose them")), align="center", spacing="1"),
            id=UPLOAD_ID, multiple=True, accept=ACCEPT, border=f"2px dashed {rx.color('gray', 6)}", padding="1em",
            width="100%", border_radius="8px", aria_label=t("Choose documents to upload"), role="button",
        ),
        rx.hstack(
            rx.foreach(rx.selected_files(UPLOAD_ID), lambda f: rx.badge(f, variant="soft")),
            wrap="wrap",
        ),
        rx.button(t("Upload"), id="upload-submit", loading=KnowledgeState.uploading,
                  # The files are taken with the click, so the choice clears at once, in the page: a clear
                  # sent back by the handler would be a script for the browser to eval (see api/headers.py).
                  on_click=[KnowledgeState.handle_upload(
                      rx.upload_files(upload_id=UPLOAD_ID, on_upload_progress=KnowledgeState.upload_progress)),
                      rx.clear_selected_files(UPLOAD_ID)]),
        rx.cond(KnowledgeState.uploading, rx.progress(value=KnowledgeState.upload_percent, max=100, width="100%",
                                                      aria_label=t("Upload progress"), id="upload-progress")),
        rx.cond(KnowledgeState.notice != "", rx.text(KnowledgeState.notice, role="status", id="knowledge-notice")),
        rx.cond(
            KnowledgeState.docs.length() > 0,
            rx.vstack(rx.foreach(KnowledgeState.docs, lambda d: rx.hstack(
                rx.link(rx.text(d["name"], weight="bold", size="2"), href="/document/" + d["id"].to(str)),
                rx.text(d["size"], " · ", d["when"], size="1", color_scheme="gray"),
                rx.spacer(),
                rx.cond(d["indexed"].to(bool), rx.badge(t("searchable"), color_scheme="green"),
                        rx.badge(t("indexing…"), color_scheme="amber")),
                rx.button(t("Delete"), on_click=KnowledgeState.delete(d["id"]), size="1", variant="soft",
                          color_scheme="red", aria_label=t("Delete") + " " + d["name"].to(str)),
                width="100%", align="center", wrap="wrap", class_name="document-row",
            )), width="100%", id="document-list"),
            rx.text(t("No documents yet."), color_scheme="gray", size="2"),
        ),
        width="100%",
    )


def knowledge_page() -> rx.Component:
    return frame(
        N_("Knowledge"),
        _error(KnowledgeState),
        rx.text(KnowledgeState.progress_text, size="2", color_scheme="gray", id="index-progress"),
        rx.vstack(
            rx.heading(t("Ask your mail and documents"), size="4", as_="h2"),
            rx.form(
                rx.hstack(
                    rx.input(value=KnowledgeState.question, on_change=KnowledgeState.set_question,
                             placeholder=t("e.g. What did Dan send about the budget?"), aria_label=t("Question"),
                             id="question", width="100%"),
                    rx.button(t("Ask"), type="submit", loading=KnowledgeState.asking, id="ask"),
                    width="100%",
                ),
                on_submit=lambda _form: KnowledgeState.ask(), width="100%",
            ),
            _answer(),
            rx.divider(),
            _documents(),
            spacing="4", width="100%", max_width="900px", padding_top="1em",
        ),
    )


def document_page() -> rx.Component:
    return frame(
        N_("Document"),
        _error(DocumentState),
        rx.heading(DocumentState.name, size="5", as_="h2", id="document-name"),
        rx.text(DocumentState.when, size="1", color_scheme="gray"),
        rx.box(rx.text(DocumentState.text, white_space="pre-wrap", size="2"), id="document-text", max_width="900px",
               padding_top="1em"),
    )


def _bubble(m: dict) -> rx.Component:
    mine = m["role"] == "user"
    return rx.box(
        rx.text(m["content"], white_space="pre-wrap", size="2"),
        rx.cond(m["sources"].to(list).length() > 0, rx.vstack(
            rx.foreach(m["sources"].to(list[dict]), _source), spacing="1", padding_top="0.5em")),
        align_self=rx.cond(mine, "flex-end", "flex-start"), max_width="85%", padding="0.6em 0.9em",
        border_radius="12px", background=rx.cond(mine, rx.color("accent", 3), rx.color("gray", 3)),
        class_name=rx.cond(mine, "chat-message mine", "chat-message answer"),
    )


def chat_page() -> rx.Component:
    return frame(
        N_("Chat"),
        _error(ChatState),
        rx.vstack(
            rx.cond(ChatState.messages.length() > 0,
                    rx.vstack(rx.foreach(ChatState.messages, _bubble), width="100%", spacing="2", id="chat-log",
                              role="log", aria_live="polite"),
                    rx.text(t("Ask anything about your mail and documents; answers name their sources."),
                            color_scheme="gray", size="2")),
            rx.cond(ChatState.thinking, rx.box(
                rx.text(rx.cond(ChatState.partial != "", ChatState.partial,
                                rx.cond(ChatState.waiting != "", ChatState.waiting, t("Looking through your mail…"))),
                        white_space="pre-wrap", size="2"),
                max_width="85%", padding="0.6em 0.9em", border_radius="12px", background=rx.color("gray", 3),
                id="chat-partial",
            )),
            rx.form(
                rx.hstack(
                    rx.input(value=ChatState.draft, on_change=ChatState.set_draft, placeholder=t("Your question"),
                             aria_label=t("Your question"), id="chat-input", width="100%"),
                    rx.button(t("Send"), type="submit", loading=ChatState.thinking, id="chat-send"),
                    width="100%",
                ),
                on_submit=lambda _form: ChatState.send(), width="100%",
            ),
            rx.button(t("Clear the conversation"), on_click=ChatState.clear, variant="ghost", size="1",
                      id="chat-clear"),
            spacing="3", width="100%", max_width="900px", padding_top="1em",
        ),
    )
