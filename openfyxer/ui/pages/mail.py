"""Inbox, one email with its draft panel, and the drafts queue."""

from __future__ import annotations

import reflex as rx

from openfyxer.ui.components.layout import frame
from openfyxer.ui.components.mail_actions import snooze_select, undo_bar
from openfyxer.ui.components.translated import t
from openfyxer.ui.i18n import N_
from openfyxer.ui.state.compose import ComposeState
from openfyxer.ui.state.drafts import DraftsState
from openfyxer.ui.state.inbox import InboxState
from openfyxer.ui.state.mail import CATEGORIES
from openfyxer.ui.state.message import EmailState

VIEW_LABELS = (("inbox", N_("Inbox")), ("starred", N_("Starred")), ("snoozed", N_("Snoozed")),
               ("archive", N_("Archived")), ("trash", N_("Trash")))
LABELS = {"urgent": N_("Urgent"), "to_respond": N_("To respond"), "fyi": N_("FYI"), "newsletter": N_("Newsletter"),
          "spam": N_("Spam")}


def _error(state) -> rx.Component:  # noqa: ANN001
    return rx.cond(state.error != "", rx.callout(state.error, icon="triangle-alert", color_scheme="red", role="alert",
                                                 id="mail-error"))


def _tab(category: str) -> rx.Component:
    active = InboxState.category == category
    return rx.button(
        t(LABELS[category]), rx.badge(InboxState.counts[category], variant="soft", id=f"count-{category}"),
        on_click=InboxState.show(category), variant=rx.cond(active, "solid", "soft"),
        aria_pressed=rx.cond(active, "true", "false"), id=f"tab-{category}", size="2",
    )


def _inbox_row(row: dict) -> rx.Component:
    unread = ~row["is_read"]
    return rx.hstack(
        rx.checkbox(checked=InboxState.selected.contains(row["id"]), on_change=lambda _v: InboxState.toggle(row["id"]),
                    aria_label=t("Select") + ": " + row["subject"].to(str)),
        rx.link(
            rx.vstack(
                rx.hstack(rx.text(row["sender"], weight=rx.cond(unread, "bold", "regular"), trim="both"),
                          rx.spacer(), rx.cond(row["starred"], rx.icon("star", size=14, aria_label=t("Starred"))),
                          rx.text(row["received"], size="1", color_scheme="gray"), width="100%"),
                rx.text(row["subject"], weight=rx.cond(unread, "bold", "regular"), size="2"),
                rx.text(row["snippet"], size="1", color_scheme="gray", trim="both"),
                spacing="0", width="100%", align="start",
            ),
            href="/email/" + row["id"].to(str), underline="none", color="inherit", width="100%",
            class_name=rx.cond(unread, "email-row unread", "email-row"),
        ),
        padding="0.5em", border_bottom=f"1px solid {rx.color('gray', 4)}", width="100%", align="center",
    )


def inbox_page() -> rx.Component:
    return frame(
        N_("Inbox"),
        _error(InboxState),
        undo_bar(InboxState),
        rx.flex(
            rx.el.select(*(rx.el.option(t(label), value=v) for v, label in VIEW_LABELS), value=InboxState.view,
                         on_change=InboxState.show_view, aria_label=t("Folder"), id="view", class_name="native-select"),
            rx.cond(InboxState.view == "inbox", rx.flex(*(_tab(c) for c in CATEGORIES), wrap="wrap", spacing="2",
                                                        role="group", aria_label=t("Categories"))),
            wrap="wrap", spacing="2", padding_y="0.75em", align="center"),
        rx.flex(
            rx.form(
                rx.hstack(rx.input(name="q", placeholder=t("Search mail"), aria_label=t("Search mail"), id="search",
                                   default_value=InboxState.query, width="100%", type="search"),
                          rx.button(t("Search"), type="submit", id="search-submit"), width="100%"),
                on_submit=InboxState.search, flex="1", min_width="14em",
            ),
            rx.cond(InboxState.account_options.length() > 1, rx.el.select(
                rx.el.option(t("All accounts"), value="all"),
                rx.foreach(InboxState.account_options, lambda a: rx.el.option(a[1], value=a[0])),
                value=InboxState.account_id, on_change=InboxState.choose_account, aria_label=t("Account"),
                id="account-filter", class_name="native-select",
            )),
            spacing="2", wrap="wrap", width="100%", align="center",
        ),
        rx.cond(
            InboxState.selected.length() > 0,
            rx.flex(
                rx.cond(InboxState.view == "inbox",
                        rx.button(t("Archive"), on_click=InboxState.bulk("archive"), variant="soft", id="bulk-archive"),
                        rx.button(t("Move to the inbox"), on_click=InboxState.bulk("inbox"), variant="soft",
                                  id="bulk-inbox")),
                rx.cond(InboxState.view != "trash",
                        rx.button(t("Delete"), on_click=InboxState.bulk("trash"), variant="soft", color_scheme="red",
                                  id="bulk-trash")),
                rx.button(t("Done"), on_click=InboxState.bulk("done"), variant="soft", id="bulk-done"),
                rx.button(t("Star"), on_click=InboxState.bulk("star"), variant="soft", id="bulk-star"),
                snooze_select(InboxState.bulk_snooze, "bulk-snooze"),
                rx.button(t("Mark read"), on_click=InboxState.mark_read, variant="soft", id="bulk-read"),
                rx.el.select(
                    rx.el.option(t("Move to…"), value="", disabled=True),
                    *(rx.el.option(t(LABELS[c]), value=c) for c in CATEGORIES),
                    value="", on_change=InboxState.move_to, aria_label=t("Move to category"), id="bulk-move",
                    class_name="native-select",
                ),
                padding_y="0.5em", spacing="2", wrap="wrap",
            ),
        ),
        rx.cond(
            InboxState.rows.length() > 0,
            rx.vstack(rx.foreach(InboxState.rows, _inbox_row), spacing="0", width="100%", id="email-list"),
            rx.text(t("No mail here."), color_scheme="gray", padding_y="1em", id="email-list-empty"),
        ),
        rx.hstack(
            rx.button(t("Previous"), on_click=InboxState.previous_page, disabled=InboxState.page == 0, variant="soft"),
            rx.text(InboxState.page_label, size="2"),
            rx.button(t("Next"), on_click=InboxState.next_page, disabled=InboxState.page + 1 >= InboxState.pages,
                      variant="soft", id="next-page"),
            align="center", padding_y="0.75em",
        ),
    )


def _flags() -> rx.Component:
    return rx.cond(
        EmailState.draft_flags.length() > 0,
        rx.callout(
            rx.vstack(rx.text(t("Check this draft before sending:"), weight="bold"),
                      rx.foreach(EmailState.draft_flags, lambda f: rx.text(f, size="2")), spacing="1"),
            icon="shield-alert", color_scheme="amber", id="draft-flags",
        ),
    )


def _sources() -> rx.Component:
    """What the draft was based on: the user's earlier replies and the mail and documents it took facts from."""
    return rx.cond(
        EmailState.draft_sources.length() > 0,
        rx.vstack(
            rx.text(t("Based on"), weight="bold", size="2"),
            rx.foreach(EmailState.draft_sources, lambda x: rx.hstack(
                rx.link(x["title"], href=x["href"], size="2", class_name="draft-source",
                        custom_attrs={"data-kind": x["kind"]}),
                rx.text(x["date"], size="1", color_scheme="gray"),
                rx.badge(x["role"], variant="soft", size="1"),
                align="center", wrap="wrap", spacing="2",
            )),
            spacing="1", width="100%", id="draft-sources",
        ),
    )


def _choices() -> rx.Component:
    """The email asks the user to decide: one button per answer; the reply is written once they pick."""
    return rx.cond(
        EmailState.draft_choices.length() > 0,
        rx.callout(
            rx.vstack(
                rx.text(t("This email asks you to decide. Pick your answer and the reply is written with it:"),
                        size="2"),
                rx.hstack(rx.foreach(EmailState.draft_choices, lambda c: rx.button(
                    c["label"], on_click=EmailState.pick(c["value"]), variant="outline", size="2",
                    class_name="draft-choice", disabled=EmailState.working,
                    custom_attrs={"data-choice": c["value"]})), wrap="wrap", spacing="2"),
                spacing="2",
            ),
            icon="split", color_scheme="blue", id="draft-choices",
        ),
    )


_REASONS = (("not_needed", N_("no reply needed")), ("wrong_facts", N_("wrong facts")),
            ("wrong_tone", N_("wrong tone")), ("too_long", N_("too long")), ("other", N_("something else")))


def _reject() -> rx.Component:
    """Reject, with an optional reason: kept as feedback on what the assistant wrote."""
    return rx.hstack(
        rx.el.select(
            rx.el.option(t("Why? (optional)"), value=""),
            *[rx.el.option(t(label), value=value) for value, label in _REASONS],
            value=EmailState.reject_reason, on_change=EmailState.set_reject_reason, id="reject-reason",
            aria_label=t("Why the draft is rejected"), class_name="native-select",
        ),
        rx.button(t("Reject"), on_click=EmailState.reject, variant="soft", color_scheme="red",
                  id="draft-reject", disabled=EmailState.working),
        spacing="1", align="center",
    )


def _meeting() -> rx.Component:
    """Times the draft offers, each bookable now; or the meeting an invitation draft carries."""
    return rx.fragment(
        rx.cond(EmailState.draft_slots.length() > 0, rx.callout(
            rx.vstack(
                rx.text(t("Times offered (your time): book one to put it on your calendar and invite them."),
                        size="2"),
                rx.hstack(rx.foreach(EmailState.draft_slots, lambda s: rx.button(
                    s["label"], on_click=EmailState.book(s["start"]), variant="soft", size="2",
                    class_name="draft-book-slot", disabled=EmailState.working,
                    custom_attrs={"data-start": s["start"]})), wrap="wrap", spacing="2"),
                spacing="2"),
            icon="calendar-clock", color_scheme="blue", id="draft-slots", width="100%")),
        rx.cond(EmailState.draft_invitation != "", rx.callout(
            EmailState.draft_invitation,
            icon="calendar-check", color_scheme="green", id="draft-invitation", width="100%")),
    )


def _invitation(i) -> rx.Component:  # noqa: ANN001
    answer = lambda value, label: rx.button(  # noqa: E731
        label, on_click=EmailState.answer_invitation(i["uid"], value), size="2", disabled=EmailState.working,
        variant=rx.cond(i["answer"] == value, "solid", "soft"), class_name="invitation-answer",
        custom_attrs={"data-answer": value})
    return rx.card(rx.vstack(
        rx.hstack(rx.icon("calendar", size=16), rx.text(i["title"], weight="bold"),
                  rx.badge(i["status_label"], custom_attrs={"data-status": i["status"]}), wrap="wrap"),
        rx.text(i["when"], size="2"),
        rx.cond(i["organizer"] != "", rx.text(t("Organizer"), ": ", i["organizer"], size="1", color_scheme="gray")),
        rx.cond(i["conflicts"] != "", rx.text(t("Overlaps"), ": ", i["conflicts"], size="2", color_scheme="amber",
                                              class_name="invitation-conflicts")),
        rx.cond(i["can_answer"], rx.hstack(answer("accepted", t("Accept")), answer("tentative", t("Maybe")),
                                           answer("declined", t("Decline")), wrap="wrap")),
        rx.cond(i["can_cancel"], rx.button(t("Remove from my calendar"), on_click=EmailState.cancel_invitation(i["uid"]),
                                           color_scheme="red", variant="soft", size="2",
                                           class_name="invitation-cancel", disabled=EmailState.working)),
        rx.cond(i["can_apply"], rx.hstack(rx.text(i["reply_label"], size="2"), rx.button(
            t("Update my event"), on_click=EmailState.apply_invitation_reply(i["uid"]), size="2", variant="soft",
            class_name="invitation-apply", disabled=EmailState.working), wrap="wrap")),
        spacing="2"), width="100%", class_name="invitation", custom_attrs={"data-uid": i["uid"]})


def _recipient_field(label: str, element_id: str, value, on_change, editable) -> rx.Component:  # noqa: ANN001
    return rx.hstack(
        rx.el.label(t(label), html_for=element_id, font_size="0.85em", min_width="2.5em"),
        # type=email with multiple: the browser suggests from the list for each address after a comma.
        rx.input(value=value, on_change=on_change, id=element_id, list="correspondents",
                 read_only=~editable if isinstance(editable, rx.Var) else not editable,
                 type="email", custom_attrs={"multiple": True}, placeholder=t("name@example.com, …"), width="100%",
                 auto_complete="off"),
        width="100%", align="center",
    )


def _recipients(editable) -> rx.Component:  # noqa: ANN001
    """To and Cc, always shown, edited here; the addresses the user corresponds with are suggested."""
    return rx.vstack(
        _recipient_field(N_("To"), "draft-to", EmailState.draft_to, EmailState.set_draft_to, editable),
        _recipient_field(N_("Cc"), "draft-cc", EmailState.draft_cc, EmailState.set_draft_cc, editable),
        rx.el.datalist(rx.foreach(EmailState.correspondents, lambda a: rx.el.option(value=a)), id="correspondents"),
        spacing="1", width="100%",
    )


def _draft_panel() -> rx.Component:
    # A failed send stays the user's: its text can be changed and sent again (unless it may have arrived).
    failed = (EmailState.draft_status == "failed") & ~EmailState.draft_uncertain
    editable = (EmailState.draft_status == "pending") | failed
    return rx.card(
        rx.vstack(
            rx.heading(t("Reply draft"), size="4", as_="h2"),
            rx.cond(
                EmailState.draft_id != "",
                rx.vstack(
                    rx.badge(EmailState.draft_status_label, id="draft-status",
                             custom_attrs={"data-status": EmailState.draft_status}),
                    _flags(),
                    _meeting(),
                    rx.cond(editable, _choices()),
                    _recipients(editable),
                    rx.text_area(value=EmailState.draft_text, on_change=EmailState.set_draft_text, rows="10",
                                 width="100%", read_only=~editable, aria_label=t("Draft text"), id="draft-text",
                                 custom_attrs={"data-draft": EmailState.draft_id}),
                    _sources(),
                    rx.cond(EmailState.draft_status == "failed", rx.callout(
                        EmailState.draft_error, icon="triangle-alert", color_scheme="red", id="draft-error",
                        size="1")),
                    rx.cond(editable, rx.hstack(
                        # Not while a new draft is being written: it will replace this one.
                        rx.button(t("Save"), on_click=EmailState.save_draft, variant="soft", id="draft-save",
                                  disabled=EmailState.working),
                        rx.button(rx.cond(failed, t("Retry"), t("Approve and send")), on_click=EmailState.send,
                                  id="draft-send", disabled=EmailState.working),
                        _reject(),
                        wrap="wrap",
                    )),
                    rx.cond(EmailState.draft_status == "approved",
                            rx.button(t("Undo send"), on_click=EmailState.unsend, variant="soft", id="draft-unsend",
                                      disabled=EmailState.working)),
                    rx.cond(EmailState.draft_uncertain, rx.hstack(
                        rx.text(t("The connection was lost as it was sent: it may have arrived. Check with the "
                                  "recipient before sending it again."), size="2", color_scheme="amber"),
                        rx.button(t("Send again anyway"), on_click=EmailState.resend, id="draft-resend",
                                  color_scheme="amber", disabled=EmailState.working),
                        wrap="wrap",
                    )),
                    rx.cond(EmailState.draft_edit_label != "",
                            rx.text(EmailState.draft_edit_label, size="1", color_scheme="gray", id="draft-edit-size")),
                    width="100%",
                ),
            ),
            rx.hstack(
                rx.input(value=EmailState.instructions, on_change=EmailState.set_instructions,
                         placeholder=t('Instructions, e.g. "decline politely"'), aria_label=t("Instructions for the draft"),
                         id="draft-instructions", width="100%"),
                rx.button(rx.cond(EmailState.draft_id != "", t("Write again"), t("Write a draft")),
                          on_click=EmailState.generate, loading=EmailState.working, id="draft-generate"),
                rx.button(t("Offer times"), on_click=EmailState.offer_times, variant="soft", id="draft-offer-times",
                          disabled=EmailState.working),
                width="100%", wrap="wrap",
            ),
            rx.cond(EmailState.notice != "", rx.text(EmailState.notice, role="status", id="draft-notice")),
            width="100%",
        ),
        width="100%",
    )


def email_page() -> rx.Component:
    return frame(
        N_("Email"),
        _error(EmailState),
        undo_bar(EmailState),
        rx.cond(
            EmailState.email.contains("id"),
            rx.vstack(
                rx.flex(
                    rx.button(t("Archive"), on_click=EmailState.act("archive"), variant="soft", id="email-archive"),
                    rx.button(t("Delete"), on_click=EmailState.act("trash"), variant="soft", color_scheme="red",
                              id="email-trash"),
                    rx.button(t("Done"), on_click=EmailState.act("done"), variant="soft", id="email-done"),
                    rx.cond(EmailState.email["starred"],
                            rx.button(t("Unstar"), on_click=EmailState.act("unstar"), variant="solid",
                                      id="email-star", aria_pressed="true"),
                            rx.button(t("Star"), on_click=EmailState.act("star"), variant="soft", id="email-star",
                                      aria_pressed="false")),
                    snooze_select(EmailState.snooze, "email-snooze"),
                    rx.button(t("Forward"), on_click=EmailState.forward, variant="soft", id="email-forward"),
                    rx.cond(EmailState.email["unsubscribe"],
                            rx.button(t("Unsubscribe"), on_click=EmailState.unsubscribe, variant="soft",
                                      id="email-unsubscribe")),
                    spacing="2", wrap="wrap", role="toolbar", aria_label=t("Actions"),
                ),
                rx.cond(EmailState.unsubscribe_page != "",
                        rx.link(EmailState.unsubscribe_page, href=EmailState.unsubscribe_page, is_external=True,
                                rel="noopener noreferrer", id="unsubscribe-page", size="2")),
                rx.heading(EmailState.email["subject"], size="5", as_="h2", id="email-subject"),
                rx.text(t("From"), " ", EmailState.email["sender"], " · ", EmailState.email["received"], size="2"),
                rx.text(t("To"), " ", EmailState.email["to"], size="1", color_scheme="gray"),
                rx.hstack(rx.badge(EmailState.email["category_label"], id="email-category",
                                   custom_attrs={"data-category": EmailState.email["category"]}),
                          rx.text(EmailState.email["reason"], size="1", color_scheme="gray")),
                rx.cond(EmailState.has_remote_images & ~EmailState.images_allowed,
                        rx.button(t("Show remote images"), on_click=EmailState.allow_images, variant="soft", size="1",
                                  id="allow-images")),
                rx.box(
                    # Sandboxed without allow-scripts and allow-same-origin: a script the sanitiser missed
                    # cannot run, and the mail cannot reach this page or its cookies.
                    rx.cond(EmailState.body_html != "",
                            rx.el.iframe(src_doc=EmailState.body_html, title=t("Message"), id="email-frame",
                                         sandbox="allow-popups allow-popups-to-escape-sandbox",
                                         referrer_policy="no-referrer", width="100%", height=EmailState.body_height,
                                         style={"border": "none", "resize": "vertical", "overflow": "auto"}),
                            rx.text(EmailState.body_text, white_space="pre-wrap")),
                    id="email-body", width="100%", overflow_x="auto",
                ),
                rx.cond(EmailState.invitations.length() > 0, rx.vstack(
                    rx.foreach(EmailState.invitations, _invitation), width="100%", id="email-invitations")),
                rx.cond(EmailState.attachments.length() > 0, rx.vstack(
                    rx.heading(t("Attachments"), size="3", as_="h3"),
                    rx.foreach(EmailState.attachments, lambda a: rx.text(a["name"], " (", a["type"], ")", size="2")),
                )),
                rx.cond(EmailState.thread.length() > 0, rx.vstack(
                    rx.heading(t("Thread"), size="3", as_="h3"),
                    rx.foreach(EmailState.thread, lambda m: rx.link(
                        m["received"].to(str) + " · " + m["sender"].to(str) + ": " + m["subject"].to(str),
                        href="/email/" + m["id"].to(str), size="2")),
                    id="email-thread",
                )),
                _draft_panel(),
                spacing="3", width="100%", max_width="900px",
            ),
        ),
    )


def _compose() -> rx.Component:
    """The editor of a new message or a forward: recipients, subject, text; saved, sent or discarded."""
    return rx.card(rx.vstack(
        rx.heading(rx.cond(ComposeState.editing == "new", t("New message"), t("Message")), size="4", as_="h2"),
        rx.cond(ComposeState.compose_accounts.length() > 1, rx.el.select(
            rx.foreach(ComposeState.compose_accounts, lambda a: rx.el.option(a[1], value=a[0])),
            value=ComposeState.compose_account, on_change=ComposeState.set_compose_account, id="compose-account",
            aria_label=t("From"), class_name="native-select", disabled=ComposeState.editing != "new")),
        _recipient_field(N_("To"), "compose-to", ComposeState.compose_to, ComposeState.set_compose_to, True),
        _recipient_field(N_("Cc"), "compose-cc", ComposeState.compose_cc, ComposeState.set_compose_cc, True),
        rx.input(value=ComposeState.compose_subject, on_change=ComposeState.set_compose_subject, id="compose-subject",
                 placeholder=t("Subject"), aria_label=t("Subject"), width="100%"),
        rx.text_area(value=ComposeState.compose_text, on_change=ComposeState.set_compose_text, rows="12",
                     width="100%", id="compose-text", aria_label=t("Message")),
        rx.foreach(ComposeState.compose_flags, lambda f: rx.text(f, size="1", color_scheme="amber")),
        rx.flex(
            rx.button(t("Send"), on_click=ComposeState.send, id="compose-send"),
            rx.button(t("Save"), on_click=ComposeState.save, variant="soft", id="compose-save"),
            rx.button(t("Discard"), on_click=ComposeState.discard, variant="soft", color_scheme="red",
                      id="compose-discard"),
            rx.button(t("Close"), on_click=ComposeState.close, variant="ghost", id="compose-close"),
            spacing="2", wrap="wrap",
        ),
        width="100%", spacing="2",
    ), width="100%", id="compose")


def _draft_row(d) -> rx.Component:  # noqa: ANN001
    body = rx.vstack(
        rx.hstack(rx.text(d["subject"], weight="bold"), rx.spacer(),
                  rx.cond(d["failed"], rx.badge(t("Failed"), color_scheme="red", class_name="draft-failed")),
                  rx.cond(d["flagged"], rx.badge(t("check"), color_scheme="amber")),
                  rx.text(d["created"], size="1", color_scheme="gray"), width="100%"),
        rx.text(t("To"), " ", d["to"], size="1", color_scheme="gray"),
        rx.text(d["preview"], size="2"),
        spacing="1", width="100%", align="start",
    )
    style = {"padding": "0.5em", "border_bottom": f"1px solid {rx.color('gray', 4)}", "width": "100%"}
    return rx.cond(
        d["compose"],
        rx.box(body, on_click=ComposeState.edit(d["id"]), cursor="pointer", class_name="draft-row compose-row",
               role="button", tab_index=0, **style),
        rx.link(body, href=d["href"].to(str), underline="none", color="inherit", class_name="draft-row", **style),
    )


def drafts_page() -> rx.Component:
    return frame(
        N_("Drafts"),
        _error(DraftsState),
        rx.hstack(rx.button(rx.icon("pencil", aria_hidden="true"), t("New message"), on_click=ComposeState.new_message,
                            id="compose-new"),
                  rx.cond(ComposeState.notice != "", rx.text(ComposeState.notice, role="status", id="compose-notice")),
                  align="center", padding_y="0.5em"),
        rx.cond(ComposeState.editing != "", _compose()),
        rx.cond(
            DraftsState.rows.length() > 0,
            rx.vstack(rx.foreach(DraftsState.rows, _draft_row), spacing="0", width="100%", id="draft-list"),
            rx.text(t("No drafts are waiting for approval."), color_scheme="gray", padding_top="1em",
                    id="draft-list-empty"),
        ),
    )
