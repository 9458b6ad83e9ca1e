"""What the user decides and how they judge the drafts: the choices offered when an email asks them to
decide (the draft never decides), the edit size recorded at approval, the reason of a rejection, and
the "draft quality" figure built from them."""

from __future__ import annotations

import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.core.errors import ValidationError
from openfyxer.models.audit import AuditLog
from openfyxer.models.draft import Draft, DraftCreate
from openfyxer.models.user import User
from openfyxer.services.assistant import decisions, drafting
from openfyxer.services.mail import drafts, outbox
from tests.assistanthelpers import (  # noqa: F401  (scripted, scripted_server: fixtures)
    add_email, make_user_account, scripted, scripted_server, user_by_email)
from tests.helpers import bearer, signed_up

SLOTS = "Hi Ana,\n\nWould Tuesday 10 March at 10:00 or Wednesday 11 March at 14:00 work for you?\n\nThanks,\nMark"
SPEND = "Hi Ana,\n\nCan you approve the $4,800 spend for the conference booth? The deposit is due soon.\n\nDan"


# --- what the email asks the user to decide --------------------------------------------------------------

@pytest.mark.parametrize(("body", "expected"), [
    (SLOTS, ["Tuesday 10 March at 10:00", "Wednesday 11 March at 14:00"]),
    ("Should we go with ErgoWorks or DeskPro for the new chairs?", ["ErgoWorks", "DeskPro"]),
    ("Which do you prefer: the blue, the green or the red design?", ["The blue", "The green", "The red design"]),
    ("Do you want the report in PDF or Excel?", ["PDF", "Excel"]),
    ("Bună ziua,\n\nMergem cu ErgoWorks sau cu DeskPro pentru scaunele noi?\n\nMulțumesc", ["ErgoWorks", "DeskPro"]),
    ("Preferați varianta A sau varianta B?", ["Varianta A", "Varianta B"]),
    ("Which of the two providers did you pick in the end, Azure or AWS?", ["Azure", "AWS"]),
    ("Ați decis care dintre cele două modele vi se potrivește, Ergo Plus sau Comfort Pro?", ["Ergo Plus", "Comfort Pro"]),
    (SPEND, [decisions.YES, decisions.NO]),
    ("Is it OK with you if we move the demo to Friday?", [decisions.YES, decisions.NO]),
    ("Îmi dați acordul pentru achiziția de 3.200 lei?", [decisions.YES, decisions.NO]),
    ("Did you sign the updated data processing agreement?", [decisions.YES, decisions.NO]),
    ("Ați semnat actul adițional nr. 2?", [decisions.YES, decisions.NO]),
    ("Vă scriu despre actul adițional pe care vi l-am trimis. L-ați semnat? Dacă da, trimiteți-l.", [
        decisions.YES, decisions.NO]),
    ("Did the offer from ErgoWorks arrive?", []),
    # Asking for something, or for a fact, is not asking the user to decide.
    ("Could you send me the Q2 budget numbers by Friday?", []),
    ("Did you sign the contract or not?", [decisions.YES, decisions.NO]),
    ("What did we agree with them about the file format at the last review?", []),  # a fact the mail may hold
    ("Vă rog să-mi spuneți dacă ați semnat contractul.", []),  # no question mark: no question
    ("Is the training online or at the office?", []),  # either/or, but a fact to look up, not a choice
    ("Îmi puteți spune când are loc instruirea, cât durează și dacă se face online sau la sediu?", []),
    ("Can we meet for an hour or two next week?", []),
    ("Please confirm the delivery address by Friday.", []),
    ("Thanks for the notes, all clear.", []),
])
def test_choices_are_what_the_sender_offers(body, expected):
    assert decisions.choices("Question", body) == expected


def test_a_choice_in_quoted_mail_is_not_asked_again():
    body = ("Thanks, Tuesday it is.\n\nOn Mon, 2 Mar 2026 Mark wrote:\n> Would Tuesday or Wednesday work for you?")
    assert decisions.choices("Re: Call", body) == []


def test_an_undecided_draft_leaves_the_choice_to_the_user(scripted, sqlite_url):
    """GIVEN an email asking the user to pick a slot WHEN a draft is written without instructions THEN the
    prompt tells the model not to decide (with the options, defused) and the draft offers the choices;
    WHEN the user picks one THEN the reply is written with that choice as their instruction, not decided."""
    scripted.reply = "Hi Mark,\n\nThanks for the options. [[Ask: Tuesday or Wednesday?]]\n\nBest,\nAna"
    with session_scope() as s:
        user, account = make_user_account(s)
        email = add_email(s, account, subject="Roadmap call", sender="mark@example.org", sender_name="Mark",
                          body=SLOTS)
        first = drafting.generate(s, user=user, email_id=email.id, replace=False)
        assert first.choices == ["Tuesday 10 March at 10:00", "Wednesday 11 March at 14:00"]
        assert "asks_user: Tuesday or Wednesday?" in first.flags
        _, task = scripted.prompt()
        assert "has not decided yet" in task and "Tuesday 10 March at 10:00 or Wednesday 11 March at 14:00" in task

        scripted.reply = "Hi Mark,\n\nWednesday 11 March at 14:00 works for me.\n\nBest,\nAna"
        picked = drafting.generate(s, user=user, email_id=email.id, choice="Wednesday 11 March at 14:00")
        _, task = scripted.prompt()
        assert "Choose this option and say so: Wednesday 11 March at 14:00" in task and "has not decided" not in task
        assert picked.status == "pending" and picked.choices == first.choices and picked.id != first.id
        # One reply waits for approval, never two; the one replaced was not judged by the user.
        assert (s.get(Draft, first.id).status, s.get(Draft, first.id).reject_reason) == ("rejected", "replaced")
        assert drafts.quality(s, user=user).rejected == 0
        with pytest.raises(ValidationError):
            drafting.generate(s, user=user, email_id=email.id, choice="Friday")


@pytest.mark.parametrize(("draft", "offered", "deciding"), [
    ("Bună ziua,\n\nVă mulțumesc. Da, am semnat actul adițional și vi-l trimit scanat.\n\nCu stimă,\nAna",
     [decisions.YES, decisions.NO], ["Da, am semnat actul adițional și vi-l trimit scanat."]),
    ("Buna ziua,\n\nNu l-am semnat inca.\n\nAna", [decisions.YES, decisions.NO], ["Nu l-am semnat inca."]),
    ("Bună ziua,\n\nSigur, vă trimit actul adițional nr. 2, care a fost semnat. Costă 9.800 lei.\n\nAna",
     [decisions.YES, decisions.NO], ["Sigur, vă trimit actul adițional nr. 2, care a fost semnat."]),
    ("Hi Dan,\n\nThanks for the quote. I approve the $4,800 spend, please go ahead.\n\nBest,\nAna",
     [decisions.YES, decisions.NO], ["I approve the $4,800 spend, please go ahead."]),
    ("Hi Mark,\n\nTuesday 10 March at 10:00 works for me.\n\nBest,\nAna",
     ["Tuesday 10 March at 10:00", "Wednesday 11 March at 14:00"], ["Tuesday 10 March at 10:00 works for me."]),
    ("Hi,\n\nLet's go with ErgoWorks for the chairs.\n\nAna", ["ErgoWorks", "DeskPro"],
     ["Let's go with ErgoWorks for the chairs."]),
    # Waiting, asking, naming both or only mentioning one option decides nothing.
    ("Hi Dan,\n\nThanks, I'll confirm soon whether we can approve it.\n\nBest,\nAna", [decisions.YES, decisions.NO], []),
    ("Hi Dan,\n\nThanks for sending the contract to sign. [[Ask: Did you sign it?]]\n\nAna",
     [decisions.YES, decisions.NO], []),
    ("Hi,\n\nThanks for the ErgoWorks and DeskPro quotes. Thank you for the ErgoWorks brochure too.\n\nAna",
     ["ErgoWorks", "DeskPro"], []),
    ("Bună ziua,\n\nMulțumesc, revin în curând cu o confirmare.\n\nCu stimă,\nAna", [decisions.YES, decisions.NO], []),
])
def test_a_draft_that_decides_is_caught(draft, offered, deciding):
    assert decisions.deciding(draft, offered) == deciding


def test_a_draft_that_decides_twice_loses_the_decision(scripted, sqlite_url):
    """GIVEN an email asking whether the user signed WHEN the model answers "yes, I signed" THEN it is told
    and tries once more; WHEN it decides again THEN the sentence is taken out, the sender's question is left to
    the user as a [[Ask: ...]], the rest of the draft stays and the panel says what was removed; WHEN the second
    try waits instead THEN that one is the draft."""
    asked = ("Bună ziua,\n\nVă scriu despre actul adițional nr. 2 pe care vi l-am trimis. L-ați semnat? Dacă da, "
             "vă rog să ne trimiteți un exemplar scanat.\n\nCu stimă,\nLaurențiu")
    scripted.reply = ("Bună ziua,\n\nDa, am semnat actul adițional. Vă mulțumesc pentru mesaj.\n\n"
                      "Cu stimă,\nAna")
    with session_scope() as s:
        user, account = make_user_account(s)
        email = add_email(s, account, subject="Act adițional nr. 2", sender="laurentiu@example.ro", body=asked)
        draft = drafting.generate(s, user=user, email_id=email.id)
        redo = scripted.prompt()[1]
        assert "That decides for the user" in redo and "Da, am semnat actul adițional." in redo
        assert draft.content == ("Bună ziua,\n\nVă mulțumesc pentru mesaj.\n\n"
                                 "[[Ask: L-ați semnat?]]\n\nCu stimă,\nAna")
        assert "decision_removed: Da, am semnat actul adițional." in draft.flags
        assert "asks_user: L-ați semnat?" in draft.flags and draft.choices == [decisions.YES, decisions.NO]

        tries = iter(["Bună ziua,\n\nDa, l-am semnat.\n\nCu stimă,\nAna",
                      "Bună ziua,\n\nVă mulțumesc, revin în curând.\n\n[[Ask: Ați semnat actul?]]\n\nCu stimă,\nAna"])
        scripted.reply = lambda messages: next(tries)
        again = drafting.generate(s, user=user, email_id=email.id)
        assert again.content.startswith("Bună ziua,\n\nVă mulțumesc, revin în curând.")
        assert not [f for f in again.flags if f.startswith("decision_removed")]

        # The user's own pick is never second-guessed.
        scripted.reply = "Bună ziua,\n\nDa, am semnat actul adițional.\n\nCu stimă,\nAna"
        picked = drafting.generate(s, user=user, email_id=email.id, choice=decisions.YES)
        assert "am semnat" in picked.content and "That decides" not in scripted.prompt()[1]


def test_instructions_are_the_users_decision(scripted, sqlite_url):
    with session_scope() as s:
        user, account = make_user_account(s)
        email = add_email(s, account, subject="Booth", body=SPEND)
        drafting.generate(s, user=user, email_id=email.id, instructions="approve it")
    assert "has not decided" not in scripted.prompt()[1]


def test_choose_through_the_api(client, scripted):
    h = bearer(signed_up(client))
    with session_scope() as s:
        user, account = make_user_account(s, user=user_by_email(s, "ana@example.com"))
        email_id = add_email(s, account, subject="Booth", sender="dan@example.org", body=SPEND).id
    scripted.reply = "Hi Dan,\n\nYes, go ahead with the booth.\n\nBest,\nAna"
    r = client.post(f"/api/v1/emails/{email_id}/draft", json={"choice": "yes"}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["choices"] == ["yes", "no"] and "Say yes" in scripted.prompt()[1]
    assert client.post(f"/api/v1/emails/{email_id}/draft", json={"choice": "maybe"}, headers=h).status_code == 422
    both = client.post(f"/api/v1/emails/{email_id}/draft", json={"choice": "yes", "instructions": "x"}, headers=h)
    assert both.status_code == 422


# --- the user's verdict on what was written ------------------------------------------------------------

def test_edit_ratio_counts_changed_words_not_layout():
    text = "Hi Dan,\n\nYes, I will send the numbers on Thursday.\n\nBest,\nAna"
    assert drafts.edit_ratio(text, text) == 0.0
    assert drafts.edit_ratio(text, text.replace("\n\n", "\n")) == 0.0
    small = drafts.edit_ratio(text, text.replace("Thursday", "Friday"))
    assert 0 < small <= drafts.SMALL_EDIT
    assert drafts.edit_ratio(text, "Dan, no. A.") > 0.6


def test_approval_records_the_edit_size_and_quality_counts_it(scripted, sqlite_url):
    """GIVEN three generated drafts and one written by hand WHEN one is sent as written, one heavily rewritten and
    one rejected as "wrong_facts" THEN each keeps its edit size (the audit too) or its reason, the hand-written
    one has none, and the quality figure is 1 small-edit send of 3 judged drafts."""
    scripted.reply = "Hi Bob,\n\nThanks, I will send the numbers on Thursday.\n\nBest,\nAna"
    with session_scope() as s:
        user, account = make_user_account(s)
        made = [drafting.generate(s, user=user, email_id=add_email(s, account, subject=f"Q{n}").id) for n in range(3)]
        by_hand = drafts.create(s, user=user, data=DraftCreate(account_id=account.id, to=["x@example.org"],
                                                               content="Mine."))
        as_written = outbox.approve(s, user=user, draft_id=made[0].id)
        rewritten = outbox.approve(s, user=user, draft_id=made[1].id,
                                   content="Bob, the numbers are late: finance closes the month on the 12th. Ana")
        rejected = drafts.reject(s, user=user, draft_id=made[2].id, reason="wrong_facts")
        hand = outbox.approve(s, user=user, draft_id=by_hand.id)
        assert as_written.edit_ratio == 0.0 and rewritten.edit_ratio > 0.5 and hand.edit_ratio is None
        assert rejected.reject_reason == "wrong_facts" and made[1].generated_content.startswith("Hi Bob")
        audit = s.exec(select(AuditLog).where(AuditLog.action == "draft.approve",
                                              AuditLog.entity_id == made[1].id)).one()
        assert audit.details["edit_ratio"] == rewritten.edit_ratio
        quality = drafts.quality(s, user=s.get(User, user.id))
        with pytest.raises(ValidationError):
            drafts.reject(s, user=user, draft_id=made[0].id, reason="because")
    assert (quality.approved, quality.small_edits, quality.rejected, quality.share) == (2, 1, 1, 0.333)


def test_reject_reason_through_the_api(client, scripted):
    h = bearer(signed_up(client))
    with session_scope() as s:
        user, account = make_user_account(s, user=user_by_email(s, "ana@example.com"))
        email_id = add_email(s, account, subject="Numbers").id
    d = client.post(f"/api/v1/emails/{email_id}/draft", headers=h).json()
    assert client.delete(f"/api/v1/drafts/{d['id']}", params={"reason": "nonsense"}, headers=h).status_code == 422
    r = client.delete(f"/api/v1/drafts/{d['id']}", params={"reason": "not_needed"}, headers=h)
    assert r.status_code == 200 and r.json()["reject_reason"] == "not_needed" and r.json()["status"] == "rejected"
