"""The threads `python -m bench.drafts` answers, and the Sent mail its style profile is learned from.

The user is Ana Popescu, a delivery manager at Brightlane, a software consultancy in Cluj. She
writes "Hi <name>," ... "Best,\\nAna" in English and "Bună ziua," ... "Cu stimă,\\nAna" in
Romanian. The mail is dated early March 2026 (Monday 2 March to Friday 6 March).

Each thread: `earlier` messages (oldest first) and the `incoming` one to answer, as
(display name, address, body); Ana's own earlier messages are filed as Sent, the way a sync
files them. `facts` are what the reply must not contradict, `good_reply` what a good reply does;
both are for the human reading the drafts. What the checklist tests:

- `mention`: groups of regular expressions; the draft must match at least one in every group.
  Matched on the draft lower-cased and without diacritics, each pattern anchored at a word
  start (so a stem like "apolog" matches "apologise").
- `must_not`: patterns (same matching) that would contradict a fact or an instruction.
- `instructions`: what the user typed for this draft; `intent` ("accept" / "decline") is the
  part of it the checklist can verify.
"""

from __future__ import annotations

ANA = ("Ana Popescu", "ana.popescu@brightlane.ro")

SENT = [
    ("dan.matei@brightlane.ro", "Sprint review notes",
     "Hi Dan,\n\nThanks for running the review today. I've put the notes in the project space; the two open "
     "points are the export format and the login timeout. Could you take the first one?\n\nBest,\nAna"),
    ("k.oneill@harbourlogistics.ie", "Re: Go-live date",
     "Hi Kate,\n\nThanks for confirming. We'll keep go-live on the 19th and do a dry run on the 17th. I'll send "
     "the checklist on Monday so your team can review it.\n\nBest,\nAna"),
    ("sam.wright@northwind-retail.co.uk", "Access for the new developers",
     "Hi Sam,\n\nCould you give VPN access to Radu and Elena from Monday? They join the support rotation next "
     "week. Let me know if you need anything from my side.\n\nBest,\nAna"),
    ("priya.nair@helixlabs.io", "Re: Security questionnaire",
     "Hi Priya,\n\nThanks for the questionnaire. We'll have it back to you by Thursday; most answers are "
     "already in our standard pack, so it should be quick.\n\nBest,\nAna"),
    ("tom.reed@brightlane.ro", "Estimates for Helix",
     "Hi Tom,\n\nThanks for the estimates. They look reasonable to me. Let me know if you want to go through "
     "the integration part together before we send them.\n\nBest,\nAna"),
    ("lucy.hart@greenfieldschool.org", "Re: Parents' evening",
     "Hi Lucy,\n\nThanks for the reminder. I'll be there at 17:30 with Luca's father. Let me know if you need "
     "us to bring anything.\n\nBest,\nAna"),
    ("mark.davies@northwind-retail.co.uk", "Invoice for February",
     "Hi Mark,\n\nThe February invoice is in your portal now. Let me know if anything looks off and I'll "
     "check it with our finance team.\n\nBest,\nAna"),
    ("contabilitate@conta-expert.ro", "Documente februarie",
     "Bună ziua,\n\nVă trimit în portal documentele pentru luna februarie: facturile emise, extrasele de cont "
     "și contractul nou cu Harbour Logistics. Vă rog să-mi spuneți dacă mai lipsește ceva.\n\nCu stimă,\nAna"),
    ("mihai.stan@brightlane.ro", "Planificare concedii",
     "Bună ziua,\n\nVă rog să treceți în calendarul echipei concediile pentru aprilie până vineri, ca să putem "
     "planifica sprintul. Mulțumesc pentru înțelegere.\n\nCu stimă,\nAna"),
    ("office@dentalcare-cluj.ro", "Re: Programare",
     "Bună ziua,\n\nVă mulțumesc pentru confirmare. Voi fi prezentă joi la ora 16:00.\n\nCu stimă,\nAna"),
    ("andrei.munteanu@banca-nordica.ro", "Raport lunar",
     "Bună ziua,\n\nVă trimit raportul lunar pentru februarie. Toate livrabilele planificate au fost finalizate, "
     "iar pentru martie rămâne de stabilit data pentru testele de performanță.\n\nCu stimă,\nAna"),
    ("admin@asociatia-fabricii12.ro", "Indexuri apometre",
     "Bună ziua,\n\nVă transmit indexurile pentru apartamentul 14: apă rece 231, apă caldă 118. Vă mulțumesc "
     "pentru reamintire.\n\nCu stimă,\nAna"),
    ("secretariat@scoala-gimnaziala-3.ro", "Adeverință elev",
     "Bună ziua,\n\nVă rog să îmi eliberați o adeverință de elev pentru Luca Popescu, clasa a III-a B, necesară "
     "la medicul de familie. Vă mulțumesc anticipat.\n\nCu stimă,\nAna"),
]

THREADS = [
    # ------------------------------------------------------------------ English
    {
        "id": "en-meeting", "lang": "en", "topic": "meeting scheduling", "subject": "Q2 roadmap review",
        "earlier": [
            (*ANA, "Hi Mark,\n\nNow that the February release is out, could we set up a 45-minute call to go "
                   "through the Q2 roadmap? Next week works best for us.\n\nBest,\nAna"),
        ],
        "incoming": ("Mark Davies", "mark.davies@northwind-retail.co.uk",
                     "Hi Ana,\n\nGood idea. Would Tuesday 10 March at 10:00 or Wednesday 11 March at 14:00 work for "
                     "you? I'll send a Teams invite once we agree on a slot. I'd also like Sam to join.\n\n"
                     "Thanks,\nMark"),
        "facts": ["Mark offered Tue 10 March 10:00 or Wed 11 March 14:00", "the call is 45 minutes on Teams",
                  "Mark sends the invite"],
        "good_reply": "picks one of the two slots (or both work), welcomes Sam joining",
        "mention": [[r"tuesday", r"wednesday", r"10[:.]00", r"14[:.]00", r"10 ?am", r"2 ?pm"]],
        # Mark sends the invite and asked for Sam: a reply that claims either mixes up who is who.
        "must_not": [r"thursday", r"friday", r"i'?ll send (you )?(a |the )?teams invite", r"i'?d also like sam"],
    },
    {
        "id": "en-invoice", "lang": "en", "topic": "invoice question", "subject": "Invoice INV-2026-031",
        "earlier": [
            (*ANA, "Hi Joanna,\n\nAs agreed with Mark, change request CR-7 (the extra CSV export module) is "
                   "approved at a fixed EUR 300 and will be billed with the February invoice.\n\nBest,\nAna"),
        ],
        "incoming": ("Joanna Kemp", "accounts.payable@northwind-retail.co.uk",
                     "Hello Ana,\n\nWe received invoice INV-2026-031 for EUR 4,800, but the purchase order "
                     "PO-88412 is for EUR 4,500. Could you explain the difference before we approve the "
                     "payment?\n\nKind regards,\nJoanna Kemp\nAccounts Payable, Northwind Retail"),
        "facts": ["the EUR 300 difference is change request CR-7, the CSV export module",
                  "CR-7 was approved and agreed to be billed with the February invoice"],
        "good_reply": "explains the EUR 300 is CR-7 (approved change request), maybe offers a PO update",
        "mention": [[r"cr-?7", r"change request", r"export", r"300"]],
        "must_not": [r"(an |a )?error on our (side|part)", r"we will (re-?issue|correct) the invoice"],
    },
    {
        "id": "en-document", "lang": "en", "topic": "colleague asks for a document", "subject": "Helix NDA",
        "earlier": [
            ("Tom Reed", "tom.reed@brightlane.ro",
             "Hi Ana,\n\nQuick one: is the Helix Labs kickoff confirmed for Friday at 11?\n\nCheers,\nTom"),
            (*ANA, "Hi Tom,\n\nYes, Friday at 11 on Teams. Priya and two of her engineers will join.\n\nBest,\nAna"),
        ],
        "incoming": ("Tom Reed", "tom.reed@brightlane.ro",
                     "Hi Ana,\n\nDo you have the signed NDA with Helix Labs? Legal wants a copy in the client "
                     "folder before Friday's kickoff call and I can't find it in the shared drive.\n\n"
                     "Cheers,\nTom"),
        "facts": ["the kickoff call is on Friday", "the NDA is not in the shared drive"],
        "good_reply": "says she will send it / put it in the client folder before Friday",
        "mention": [[r"send", r"share", r"forward", r"upload", r"put it", r"add it", r"get it to you", r"copy"]],
        "must_not": [],
    },
    {
        "id": "en-complaint", "lang": "en", "topic": "client complaint", "subject": "Staging is down again",
        "earlier": [
            ("Laura Chen", "laura.chen@harbourlogistics.ie",
             "Hi Ana,\n\nJust a heads-up that staging was slow this morning. Not urgent.\n\nLaura"),
            (*ANA, "Hi Laura,\n\nThanks for letting us know. The team found a full disk on the staging database "
                   "and cleared it.\n\nBest,\nAna"),
        ],
        "incoming": ("Laura Chen", "laura.chen@harbourlogistics.ie",
                     "Ana,\n\nStaging has been completely down since 8 this morning and we have the board demo "
                     "tomorrow at 9. This is the second time this week. I need to know today whether we can "
                     "count on it, otherwise we'll have to cancel the demo.\n\nLaura Chen\nHead of Operations, "
                     "Harbour Logistics"),
        "facts": ["staging down since 8:00 today", "the board demo is tomorrow at 9:00",
                  "earlier this week a full disk was the cause"],
        "good_reply": "apologises, says the team is on it and she will update Laura today",
        "mention": [[r"sorry", r"apolog"], [r"investigat", r"look(ing)? into", r"working on", r"on it",
                                             r"update", r"fix", r"restor", r"back (up|online)"]],
        "must_not": [r"cancel the demo"],
    },
    {
        "id": "en-recruiter", "lang": "en", "topic": "recruiter", "subject": "Head of Delivery role in Bucharest",
        "earlier": [
            ("Oliver Grant", "oliver.grant@talentbridge.co",
             "Hi Ana,\n\nI hope you're well. I'm a recruiter at TalentBridge focused on delivery leadership "
             "roles in Romania. I'd love to connect when you have a moment.\n\nBest regards,\nOliver"),
        ],
        "incoming": ("Oliver Grant", "oliver.grant@talentbridge.co",
                     "Hi Ana,\n\nI came across your profile and was impressed by your delivery background. I'm "
                     "working with a fast-growing fintech that is hiring a Head of Delivery in Bucharest "
                     "(hybrid, competitive package plus equity). Would you be open to a 20-minute call this week "
                     "to hear more?\n\nBest regards,\nOliver Grant\nSenior Recruiter, TalentBridge"),
        "facts": ["the role is Head of Delivery at a fintech in Bucharest",
                  "Oliver is the recruiter; Ana is a delivery manager at Brightlane"],
        "good_reply": "thanks Oliver and declines politely; Ana is happy in her current role",
        "instructions": "decline politely, I'm happy in my current role",
        "intent": "decline",
        "mention": [[r"current (role|position|job)", r"happy", r"not (looking|interested)", r"role",
                     r"opportunity"]],
        "must_not": [r"(let'?s|lets) (schedule|set up|book)", r"(what|which) time", r"free (on|this)",
                     r"(opportunity|happy|glad|love) to (discuss|chat|talk|hear more)",
                     r"(role|work(ing)?|job) as a (senior )?recruiter"],
    },
    {
        "id": "en-supplier-delay", "lang": "en", "topic": "supplier delay", "subject": "Order 55120 - laptops",
        "earlier": [
            (*ANA, "Hi Victor,\n\nCould you confirm that the six laptops from order 55120 will arrive by 10 March? "
                   "Our new developers start on the 16th.\n\nBest,\nAna"),
        ],
        "incoming": ("Victor Lungu", "victor.lungu@techsupply.eu",
                     "Hi Ana,\n\nI'm sorry to tell you that the manufacturer has delayed the batch: the six "
                     "laptops will now ship on 20 March and arrive around 24 March. We could send four units "
                     "from another model that is in stock next week instead. Please let me know how you'd like "
                     "to proceed.\n\nRegards,\nVictor Lungu\nTechSupply"),
        "facts": ["original delivery 10 March, new arrival around 24 March", "developers start on 16 March",
                  "alternative offered by Victor: four units of another model next week"],
        "good_reply": "acknowledges the delay and either takes the four in-stock units or asks for details",
        "mention": [[r"four", r"4 (units|laptops)", r"in stock", r"another model", r"alternative",
                     r"24", r"20 march", r"delay"]],
        "must_not": [r"we (could|can) send (you )?(the )?four"],
    },
    {
        "id": "en-landlord", "lang": "en", "topic": "landlord", "subject": "Plumber for the bathroom leak",
        "earlier": [
            (*ANA, "Hi Richard,\n\nThe bathroom tap has started leaking again, worse than last time. Could you "
                   "send someone to look at it?\n\nBest,\nAna"),
        ],
        "incoming": ("Richard Moore", "richard.moore@moorelettings.com",
                     "Hello Ana,\n\nThe plumber can come on Thursday between 9 and 12. Will someone be at home "
                     "to let him in? If not, I can use my spare key.\n\nRichard"),
        "facts": ["the plumber comes Thursday between 9 and 12", "Richard has a spare key"],
        "good_reply": "confirms someone is home on Thursday morning or lets Richard use the spare key",
        "mention": [[r"thursday", r"spare key", r"key", r"home", r"morning", r"9"]],
        "must_not": [],
    },
    {
        "id": "en-school", "lang": "en", "topic": "school", "subject": "Year 3 trip to the Botanical Garden",
        "earlier": [
            (*ANA, "Hi Lucy,\n\nFor Luca's file: he has a peanut allergy and carries an EpiPen in his bag.\n\n"
                   "Best,\nAna"),
        ],
        "incoming": ("Lucy Hart", "lucy.hart@greenfieldschool.org",
                     "Dear Ana,\n\nYear 3 are going to the Botanical Garden on Friday 13 March. Could you confirm "
                     "by Wednesday that Luca can join us, and let us know if anything has changed about his "
                     "allergies or medication?\n\nWarm wishes,\nLucy Hart\nYear 3 Teacher"),
        "facts": ["Luca has a peanut allergy and carries an EpiPen", "the trip is Friday 13 March"],
        "good_reply": "confirms Luca can go, says nothing changed: peanut allergy, EpiPen in his bag",
        "mention": [[r"join", r"go", r"attend", r"come", r"take part", r"confirm"],
                    [r"peanut", r"allerg", r"epipen", r"medication", r"nothing has changed", r"no change"]],
        "must_not": [r"no allergies", r"not allergic", r"does ?n[o']t have (any )?allerg"],
    },
    {
        "id": "en-doctor", "lang": "en", "topic": "doctor's appointment", "subject": "Appointment confirmation",
        "earlier": [
            (*ANA, "Hi,\n\nI'd like to book a routine check-up with Dr. Patel, ideally next week.\n\nBest,\nAna"),
        ],
        "incoming": ("Riverside Clinic", "appointments@riversideclinic.co.uk",
                     "Dear Ms Popescu,\n\nYour appointment with Dr. Patel is booked for Monday 9 March at 08:30. "
                     "Please reply to this email to confirm, or let us know if you need to reschedule.\n\n"
                     "Kind regards,\nReception, Riverside Clinic"),
        "facts": ["the booked slot is Monday 9 March 08:30 with Dr. Patel"],
        "good_reply": "asks to move the appointment to an afternoon the same week",
        "instructions": "ask to move it to an afternoon the same week",
        "mention": [[r"afternoon"], [r"reschedul", r"move", r"change", r"another (time|slot)", r"later"]],
        "must_not": [r"(i|we) (can )?confirm (the|my) appointment", r"see you (on )?monday"],
    },
    {
        "id": "en-conference", "lang": "en", "topic": "conference invitation", "subject": "Speaker invitation - DevOps Days Bucharest",
        "earlier": [
            (*ANA, "Hi Irina,\n\nAs discussed at the meetup, here is my talk proposal for DevOps Days: "
                   "\"Shipping every week with a twelve-person team\", 30 minutes, for delivery and engineering "
                   "leads.\n\nBest,\nAna"),
        ],
        "incoming": ("Irina Dobre", "speakers@devopsdays-bucharest.ro",
                     "Dear Ana,\n\nOn behalf of the programme committee I'd like to invite you to give a "
                     "30-minute talk on delivery practices at DevOps Days Bucharest, 14-15 May 2026. We cover "
                     "travel within Romania and two nights at the conference hotel. Could you let us know by "
                     "20 March whether you can take part?\n\nKind regards,\nIrina Dobre\nProgramme Committee"),
        "facts": ["the talk is 30 minutes, 14-15 May 2026", "answer needed by 20 March"],
        "good_reply": "accepts with thanks and asks for the agenda",
        "instructions": "accept and ask for the agenda",
        "intent": "accept",
        "mention": [[r"agenda", r"programme", r"program", r"schedule"]],
        "must_not": [],
    },
    {
        "id": "en-vacation", "lang": "en", "topic": "HR asks to confirm leave", "subject": "Your leave request",
        "earlier": [
            (*ANA, "Hi Sofia,\n\nI'd like to take 6 to 10 April off. Dan will cover for me on the Harbour "
                   "project.\n\nBest,\nAna"),
        ],
        "incoming": ("Sofia Marin", "sofia.marin@brightlane.ro",
                     "Hi Ana,\n\nBefore I register it: that's five working days, Monday 6 to Friday 10 April, "
                     "and Dan is your cover, right? Just reply yes and I'll put it in the system.\n\nThanks,\n"
                     "Sofia"),
        "facts": ["leave is Mon 6 to Fri 10 April, five working days", "Dan covers"],
        "good_reply": "confirms yes: 6-10 April, Dan covers",
        "mention": [[r"yes", r"correct", r"confirm", r"right", r"that'?s it"]],
        "must_not": [r"13 april"],
    },
    {
        "id": "en-partner-rates", "lang": "en", "topic": "partner asks for rates", "subject": "Mobile project from May",
        "earlier": [
            ("Ioana Știrbu", "ioana.stirbu@pixelforge.ro",
             "Hi Ana,\n\nGreat meeting you at the Cluj IT meetup last night! Dropping you a line so we have "
             "each other's emails.\n\nIoana"),
            (*ANA, "Hi Ioana,\n\nLovely to meet you too. Happy to talk whenever you have a project where we "
                   "could help.\n\nBest,\nAna"),
        ],
        "incoming": ("Ioana Știrbu", "ioana.stirbu@pixelforge.ro",
                     "Hi Ana,\n\nWe've just won a 3-month mobile app project for a retail client, starting in "
                     "May, and we need two senior Flutter developers. Would your team have capacity, and could "
                     "you send me your current rate card?\n\nThanks a lot,\nIoana Știrbu\nPixelForge"),
        "facts": ["3-month project from May, two senior Flutter developers", "no rates have been discussed"],
        "good_reply": "thanks Ioana, says she'll check availability and send rates (no invented prices)",
        "mention": [[r"rate", r"pricing", r"price", r"quote", r"estimate", r"cost"],
                    [r"check", r"capacity", r"availab", r"confirm", r"get back", r"let you know"]],
        "must_not": [r"(eur|euro|€|\$|ron|lei) ?\d", r"\d+ ?(eur|euro|€|\$|ron|lei)\b"],
    },
    {
        "id": "en-catering", "lang": "en", "topic": "supplier confirms numbers", "subject": "Offsite catering 19 March",
        "earlier": [
            (*ANA, "Hi Martina,\n\nWe'll be 27 people at the offsite on 19 March: 3 vegetarian and 1 gluten-free. "
                   "Lunch and dinner, please.\n\nBest,\nAna"),
        ],
        "incoming": ("Martina Rossi", "events@olivegrovecatering.com",
                     "Hi Ana,\n\nThank you! Before we order: is the final headcount still 27? And should the "
                     "vegetarian and gluten-free options be for lunch only or for dinner too?\n\n"
                     "Best wishes,\nMartina"),
        "facts": ["27 people, 3 vegetarian, 1 gluten-free", "offsite on 19 March, lunch and dinner"],
        "good_reply": "confirms 27 and says options for both lunch and dinner",
        "mention": [[r"27", r"twenty-seven", r"still"], [r"both", r"lunch and dinner", r"dinner", r"all meals"]],
        "must_not": [r"\b25\b", r"\b30\b"],
    },
    {
        "id": "en-renewal", "lang": "en", "topic": "client asks about contract terms", "subject": "Maintenance contract renewal",
        "earlier": [
            (*ANA, "Hi Kate,\n\nA reminder that the maintenance contract ends on 30 April. We'll send you the "
                   "renewal proposal in March.\n\nBest,\nAna"),
        ],
        "incoming": ("Kate O'Neill", "k.oneill@harbourlogistics.ie",
                     "Hi Ana,\n\nOur maintenance contract ends on 30 April. Finance is asking whether the "
                     "monthly fee and the 8-hour response time stay the same for the next year, or whether we "
                     "should budget for a change. Could you let me know?\n\nThanks,\nKate"),
        "facts": ["contract ends 30 April", "8-hour response time", "new terms not decided yet"],
        "good_reply": "says she will check with the team/finance and confirm, no invented figures",
        "mention": [[r"check", r"confirm", r"get back", r"come back", r"let you know", r"follow up",
                     r"send you", r"proposal"]],
        "must_not": [r"(eur|euro|€|\$) ?\d", r"\d+ ?(eur|euro|€)\b", r"\d+ ?%"],
    },
    {
        "id": "en-coffee", "lang": "en", "topic": "former colleague asks to meet", "subject": "In Cluj next week",
        "earlier": [
            ("Ben Carter", "ben.carter@gmail.com",
             "Ana! Just saw the news - congrats on the new role at Brightlane!\n\nBen"),
            (*ANA, "Hi Ben,\n\nThank you! Let me know if you're ever in Cluj.\n\nBest,\nAna"),
        ],
        "incoming": ("Ben Carter", "ben.carter@gmail.com",
                     "Hey Ana!\n\nLong time no see. I'm in Cluj next week for a workshop - any chance of a coffee "
                     "on Wednesday or Thursday afternoon? Would be great to catch up.\n\nBen"),
        "facts": ["Ben offered Wednesday or Thursday afternoon next week", "Ben is the one visiting Cluj"],
        "good_reply": "accepts Thursday at 16:00 near the office",
        "instructions": "accept Thursday, suggest 16:00 near our office",
        "intent": "accept",
        "mention": [[r"thursday"], [r"16[:.]00", r"4 ?pm", r"4[:.]00", r"four"]],
        "must_not": [r"wednesday at", r"wednesday or thursday", r"i'?m (currently |also )?in cluj next week"],
    },
    {
        "id": "en-volunteer", "lang": "en", "topic": "neighbourhood request", "subject": "Park clean-up on Saturday",
        "earlier": [
            ("Helen Brooks", "helen.brooks@oakstreetneighbours.org",
             "Hi neighbours,\n\nThank you to everyone who joined the autumn clean-up - we filled 40 bags! "
             "We'll do it again in spring.\n\nHelen"),
        ],
        "incoming": ("Helen Brooks", "helen.brooks@oakstreetneighbours.org",
                     "Hi Ana,\n\nWe're organising the spring clean-up of Oak Street park this Saturday from 10 to "
                     "13. Could you help us for a couple of hours? Gloves and bags are provided.\n\n"
                     "Thank you!\nHelen"),
        "facts": ["clean-up on Saturday 10:00-13:00"],
        "good_reply": "declines politely: Ana is away that weekend",
        "instructions": "decline politely, I'm away that weekend",
        "intent": "decline",
        "mention": [[r"away", r"out of town", r"travel", r"not (be )?(around|here|in town)", r"weekend"]],
        "must_not": [r"see you (on )?saturday", r"i'?ll be there"],
    },
    # ------------------------------------------------------------------ Romanian
    {
        "id": "ro-meeting", "lang": "ro", "topic": "programare întâlnire", "subject": "Întâlnire teste de performanță",
        "earlier": [
            (*ANA, "Bună ziua,\n\nPentru testele de performanță din martie ar trebui să stabilim împreună datele "
                   "și mediul de test. Propun o întâlnire de o oră săptămâna aceasta.\n\nCu stimă,\nAna"),
        ],
        "incoming": ("Andrei Munteanu", "andrei.munteanu@banca-nordica.ro",
                     "Bună ziua, doamna Popescu,\n\nVă mulțumesc pentru propunere. Vă convine joi, 5 martie, la "
                     "ora 11:00, sau vineri, 6 martie, la ora 15:00? Putem face întâlnirea la sediul nostru de pe "
                     "strada Memorandumului sau online.\n\nCu stimă,\nAndrei Munteanu\nBanca Nordică"),
        "facts": ["variante: joi 5 martie 11:00 sau vineri 6 martie 15:00", "la sediul băncii sau online"],
        "good_reply": "alege una dintre variante (și eventual sediul sau online)",
        "mention": [[r"joi", r"vineri", r"11[:.]00", r"15[:.]00", r"ora 11", r"ora 15"]],
        "must_not": [r"\bluni\b", r"\bmiercuri\b"],
    },
    {
        "id": "ro-invoice", "lang": "ro", "topic": "întrebare factură", "subject": "Factura hosting februarie",
        "earlier": [
            ("Elena Dobre", "contabilitate@conta-expert.ro",
             "Bună ziua,\n\nAm primit documentele pentru februarie, vă mulțumim. Revenim dacă lipsește ceva.\n\n"
             "Cu stimă,\nElena Dobre"),
        ],
        "incoming": ("Elena Dobre", "contabilitate@conta-expert.ro",
                     "Bună ziua,\n\nLa închiderea lunii februarie nu găsim factura de hosting de la CloudNest "
                     "(aproximativ 1.200 lei), deși plata apare în extrasul de cont din 12 februarie. Ne puteți "
                     "trimite o copie până miercuri, ca să putem depune declarațiile la timp?\n\n"
                     "Cu stimă,\nElena Dobre\nConta Expert SRL"),
        "facts": ["factura CloudNest din februarie, circa 1.200 lei", "plata apare în extrasul din 12 februarie",
                  "termen: miercuri"],
        "good_reply": "spune că o caută/descarcă din contul CloudNest și o trimite până miercuri",
        "mention": [[r"trimit", r"transmit", r"incarc", r"caut", r"verific", r"descarc"]],
        "must_not": [],
    },
    {
        "id": "ro-document", "lang": "ro", "topic": "coleg cere un document", "subject": "Proces-verbal predare Harbour",
        "earlier": [
            (*ANA, "Bună ziua,\n\nFaza 1 la Agrovest a fost acceptată ieri de client, iar procesul-verbal de "
                   "predare-primire a fost semnat la întâlnire.\n\nCu stimă,\nAna"),
        ],
        "incoming": ("Mihai Stan", "mihai.stan@brightlane.ro",
                     "Bună ziua,\n\nPentru închiderea fazei 1 la Agrovest am nevoie de procesul-verbal de "
                     "predare-primire semnat de client. Îl aveți dumneavoastră? Finance vrea să emită factura "
                     "finală până joi.\n\nMulțumesc,\nMihai"),
        "facts": ["e nevoie de procesul-verbal semnat de client pentru faza 1", "factura finală până joi"],
        "good_reply": "spune că îl trimite / îl pune în dosarul proiectului înainte de joi",
        "mention": [[r"trimit", r"transmit", r"incarc", r"(il|o) pun", r"caut", r"verific"]],
        "must_not": [],
    },
    {
        "id": "ro-complaint", "lang": "ro", "topic": "reclamație client", "subject": "Întârziere modul rapoarte",
        "earlier": [
            ("Cristina Ene", "cristina.ene@farmavita.ro",
             "Bună ziua,\n\nNe confirmați că modulul de rapoarte va fi livrat pe 28 februarie, cum am stabilit?\n\n"
             "Cristina Ene"),
            (*ANA, "Bună ziua,\n\nDa, confirm: modulul de rapoarte va fi livrat pe 28 februarie.\n\nCu stimă,\nAna"),
        ],
        "incoming": ("Cristina Ene", "cristina.ene@farmavita.ro",
                     "Doamna Popescu,\n\nSuntem pe 3 martie și modulul de rapoarte tot nu a fost livrat, deși "
                     "ne-ați confirmat în scris data de 28 februarie. Echipa noastră de vânzări avea nevoie de el "
                     "pentru raportarea lunară. Aștept o explicație și o dată fermă de livrare.\n\n"
                     "Cristina Ene\nDirector Operațional, FarmaVita"),
        "facts": ["termenul confirmat a fost 28 februarie", "azi e 3 martie, modulul nu e livrat"],
        "good_reply": "își cere scuze, recunoaște întârzierea și promite să revină azi cu o dată fermă",
        "mention": [[r"scuze", r"imi pare rau", r"ne pare rau", r"regret"],
                    [r"data", r"termen", r"livr", r"reven", r"astazi", r"azi"]],
        "must_not": [r"(?<!nu )a fost livrat", r"nu (a fost|e|este) (nicio|o) intarziere"],
    },
    {
        "id": "ro-recruiter", "lang": "ro", "topic": "recrutor", "subject": "Oportunitate Project Manager",
        "earlier": [
            ("Raluca Ionescu", "raluca.ionescu@hrpartners.ro",
             "Bună ziua,\n\nV-am trimis o invitație de conectare pe LinkedIn. Aș vrea să vă prezint câteva "
             "oportunități din zona de management de proiect.\n\nCu stimă,\nRaluca Ionescu"),
        ],
        "incoming": ("Raluca Ionescu", "raluca.ionescu@hrpartners.ro",
                     "Bună ziua, Ana,\n\nVă contactez din partea HR Partners. Lucrăm cu o companie de software din "
                     "Cluj care caută un Senior Project Manager pentru proiecte în sectorul bancar, cu pachet "
                     "salarial atractiv și program flexibil. Ați fi interesată să discutăm?\n\n"
                     "Cu stimă,\nRaluca Ionescu\nHR Partners"),
        "facts": ["post de Senior Project Manager, sector bancar"],
        "good_reply": "mulțumește și refuză politicos",
        "instructions": "refuză politicos, nu caut un job nou acum",
        "intent": "decline",
        "mention": [[r"multum", r"apreciez", r"oportunitat", r"post", r"ofert", r"rol"]],
        "must_not": [r"sunt interesata", r"(cand|ce zi) (va|v-ar|ne)"],
    },
    {
        "id": "ro-supplier-delay", "lang": "ro", "topic": "întârziere furnizor", "subject": "Comanda 2231 - birouri",
        "earlier": [
            ("Sorin Pavel", "sorin.pavel@mobilofis.ro",
             "Bună ziua,\n\nComanda 2231 (8 birouri reglabile) va fi livrată pe 9 martie, între orele 9 și 13.\n\n"
             "Cu stimă,\nSorin Pavel"),
        ],
        "incoming": ("Sorin Pavel", "sorin.pavel@mobilofis.ro",
                     "Bună ziua,\n\nDin păcate, producătorul ne-a anunțat o întârziere: cele 8 birouri reglabile "
                     "vor ajunge la noi abia pe 20 martie, iar livrarea la dumneavoastră ar fi pe 23 martie. "
                     "Ne cerem scuze pentru neplăcere. Vă convine noua dată sau preferați să anulați comanda "
                     "fără costuri?\n\nCu stimă,\nSorin Pavel\nMobilOfis"),
        "facts": ["livrare inițială 9 martie, nouă dată 23 martie", "anulare posibilă fără costuri"],
        "good_reply": "acceptă noua dată (sau cere alternativă), fără a contrazice datele",
        "mention": [[r"23", r"noua data", r"data", r"anul", r"intarzier", r"amana"]],
        "must_not": [],
    },
    {
        "id": "ro-landlord", "lang": "ro", "topic": "proprietar (fără diacritice)", "subject": "Chiria din aprilie",
        "earlier": [
            (*ANA, "Bună ziua,\n\nVă transfer astăzi chiria pentru martie, 2.500 lei, în contul obișnuit.\n\n"
                   "Cu stimă,\nAna"),
        ],
        "incoming": ("Vasile Rusu", "vasile.rusu58@yahoo.com",
                     "Buna ziua doamna Ana,\n\nVa scriu in legatura cu chiria. Din aprilie as dori sa o actualizam "
                     "cu inflatia, de la 2.500 la 2.650 lei pe luna, cum scrie si in contract la punctul 4. "
                     "Sunteti de acord? Daca da, pregatesc un act aditional.\n\nCu respect,\nVasile Rusu"),
        "facts": ["chiria crește de la 2.500 la 2.650 lei din aprilie", "dl Rusu propune un act adițional"],
        "good_reply": "acceptă majorarea și cere actul adițional în scris",
        "instructions": "spune că sunt de acord, dar vreau actul adițional în scris înainte de 1 aprilie",
        "intent": "accept",
        "mention": [[r"act(ul)? aditional", r"in scris", r"contract"]],
        "must_not": [r"nu sunt de acord", r"2\.?500 (de )?lei (raman|ramane)"],
    },
    {
        "id": "ro-school", "lang": "ro", "topic": "școală", "subject": "Ședința cu părinții",
        "earlier": [
            ("Gabriela Marin", "gabriela.marin@scoala-gimnaziala-3.ro",
             "Stimați părinți,\n\nEvaluarea de la mijlocul anului s-a încheiat. Rezultatele le vom discuta la "
             "ședința din martie.\n\nCu drag,\nÎnv. Gabriela Marin"),
        ],
        "incoming": ("Gabriela Marin", "gabriela.marin@scoala-gimnaziala-3.ro",
                     "Stimați părinți,\n\nVă invit la ședința cu părinții clasei a III-a B, marți, 10 martie, la "
                     "ora 18:00, în sala 12. Discutăm rezultatele evaluării și excursia de la sfârșitul anului. "
                     "Vă rog să îmi confirmați participarea printr-un răspuns la acest mesaj.\n\n"
                     "Cu drag,\nÎnv. Gabriela Marin"),
        "facts": ["ședința: marți 10 martie, ora 18:00, sala 12"],
        "good_reply": "confirmă participarea",
        "mention": [[r"confirm", r"particip", r"voi fi", r"vom fi", r"prezent", r"voi veni", r"vom veni"]],
        "must_not": [r"\bluni\b", r"\bmiercuri\b", r"nu (voi|vom) putea"],
    },
    {
        "id": "ro-dentist", "lang": "ro", "topic": "programare medic", "subject": "Confirmare programare",
        "earlier": [
            (*ANA, "Bună ziua,\n\nAș dori o programare pentru controlul periodic la dr. Ilie Bogdan, de preferat "
                   "după ora 17.\n\nCu stimă,\nAna"),
        ],
        "incoming": ("DentalCare Cluj", "office@dentalcare-cluj.ro",
                     "Bună ziua,\n\nVă reamintim că aveți programare la dr. Ilie Bogdan miercuri, 11 martie, ora "
                     "17:30, pentru controlul periodic. Vă rugăm să ne confirmați prezența sau să ne anunțați "
                     "dacă doriți reprogramarea.\n\nO zi frumoasă,\nRecepția DentalCare Cluj"),
        "facts": ["programare miercuri 11 martie, 17:30, dr. Ilie Bogdan"],
        "good_reply": "confirmă prezența",
        "mention": [[r"confirm", r"voi fi", r"prezent", r"ajung", r"voi veni"]],
        "must_not": [r"\bjoi\b", r"\bmarti\b"],
    },
    {
        "id": "ro-conference", "lang": "ro", "topic": "invitație conferință", "subject": "Invitație panel Digital Cluj Summit",
        "earlier": [
            ("Bogdan Luca", "program@digitalcluj.ro",
             "Bună ziua,\n\nVă mulțumim pentru participarea la ediția de anul trecut a Digital Cluj Summit. "
             "Ediția 2026 va avea loc în aprilie, la Cluj Hub; revenim curând cu detalii.\n\n"
             "Cu stimă,\nEchipa Digital Cluj Summit"),
        ],
        "incoming": ("Bogdan Luca", "program@digitalcluj.ro",
                     "Bună ziua, doamna Popescu,\n\nVă invităm să participați ca vorbitor la panelul „Livrarea "
                     "proiectelor software în echipe distribuite” din cadrul Digital Cluj Summit, pe 23 aprilie, "
                     "la Cluj Hub. Panelul durează 50 de minute și are patru participanți. Vă rugăm să ne "
                     "confirmați până pe 15 martie.\n\nCu stimă,\nBogdan Luca\nEchipa Digital Cluj Summit"),
        "facts": ["panel de 50 de minute, 23 aprilie, Cluj Hub", "confirmare până pe 15 martie"],
        "good_reply": "acceptă și cere agenda",
        "instructions": "acceptă și cere agenda",
        "intent": "accept",
        "mention": [[r"agend", r"program"]],
        "must_not": [],
    },
    {
        "id": "ro-leave-form", "lang": "ro", "topic": "HR intern (fără diacritice)", "subject": "Formular concediu",
        "earlier": [
            (*ANA, "Bună ziua,\n\nAș dori să îmi iau concediu de odihnă între 6 și 10 aprilie. Dan preia "
                   "proiectul Harbour în acea săptămână.\n\nCu stimă,\nAna"),
        ],
        "incoming": ("Sofia Marin", "sofia.marin@brightlane.ro",
                     "Buna Ana,\n\nTe rog sa imi trimiti pana vineri formularul de concediu semnat pentru "
                     "perioada 6-10 aprilie, ca sa il pot trece in pontaj. Poti sa-l semnezi si electronic.\n\n"
                     "Multumesc,\nSofia"),
        "facts": ["concediu 6-10 aprilie", "termen: vineri", "se poate semna electronic"],
        "good_reply": "spune că trimite formularul semnat până vineri",
        "mention": [[r"trimit", r"transmit", r"semn", r"formular"]],
        "must_not": [r"1[34]-1[78] aprilie"],
    },
    {
        "id": "ro-offer", "lang": "ro", "topic": "cerere de ofertă", "subject": "Cerere ofertă aplicație rezervări",
        "earlier": [
            ("Dragoș Neagu", "dragos.neagu@hotelcetate.ro",
             "Bună ziua,\n\nCristian Vlad de la Transilvania Energy mi-a recomandat firma dumneavoastră. Vă pot "
             "scrie pentru o cerere de ofertă?\n\nCu stimă,\nDragoș Neagu"),
            (*ANA, "Bună ziua,\n\nDesigur, vă rugăm să ne spuneți ce vă interesează.\n\nCu stimă,\nAna"),
        ],
        "incoming": ("Dragoș Neagu", "dragos.neagu@hotelcetate.ro",
                     "Bună ziua,\n\nSuntem un hotel de 40 de camere din Alba Iulia și ne-ar interesa o aplicație "
                     "de rezervări integrată cu sistemul nostru de facturare. Ne puteți trimite o ofertă "
                     "orientativă și un termen estimativ de realizare?\n\nCu stimă,\nDragoș Neagu\n"
                     "Director, Hotel Cetate"),
        "facts": ["hotel de 40 de camere în Alba Iulia", "nu s-a discutat niciun preț"],
        "good_reply": "mulțumește, cere detalii sau propune o discuție, fără prețuri inventate",
        "mention": [[r"detal", r"cerint", r"discuti", r"intalnire", r"apel", r"informatii", r"ofert",
                     r"estimar"]],
        "must_not": [r"(eur|euro|€|lei|ron) ?\d", r"\d+ ?(eur|euro|€|lei|ron)\b"],
    },
    {
        "id": "ro-gas-check", "lang": "ro", "topic": "verificare instalație (fără diacritice)",
        "subject": "Verificare instalatie gaz ap. 14",
        "earlier": [
            ("Asociatia de Proprietari Fabricii 12", "admin@asociatia-fabricii12.ro",
             "Buna ziua,\n\nVa anuntam ca in martie se face verificarea periodica obligatorie a instalatiilor "
             "de gaz din bloc. Revenim cu programarea pe apartamente.\n\nAdministrator Ioan Pop"),
        ],
        "incoming": ("Asociatia de Proprietari Fabricii 12", "admin@asociatia-fabricii12.ro",
                     "Buna ziua doamna Popescu,\n\nFirma autorizata face saptamana viitoare verificarea periodica "
                     "a instalatiei de gaz. Va rugam sa ne spuneti in ce zi va convine, luni, marti sau miercuri, "
                     "intre orele 8 si 16, ca sa facem programarea pentru apartamentul 14.\n\n"
                     "Multumim,\nAdministrator Ioan Pop"),
        "facts": ["verificare luni, marți sau miercuri, 8-16, ap. 14"],
        "good_reply": "alege o zi (și eventual un interval)",
        "mention": [[r"luni", r"marti", r"miercuri"]],
        "must_not": [r"\bjoi\b", r"\bvineri\b"],
    },
    {
        "id": "ro-training", "lang": "ro", "topic": "invitație internă", "subject": "Sesiune training Agile",
        "earlier": [
            ("Radu Tudor", "radu.tudor@brightlane.ro",
             "Bună ziua,\n\nPregătim pentru aprilie un training intern pentru colegii noi. Vă scriu curând cu "
             "detalii.\n\nRadu"),
        ],
        "incoming": ("Radu Tudor", "radu.tudor@brightlane.ro",
                     "Bună ziua,\n\nOrganizăm pe 8 aprilie un training intern „Agile pentru echipe noi” pentru "
                     "colegii angajați anul acesta. Ați putea susține o sesiune de o oră despre planificarea "
                     "sprinturilor? Ar fi foarte util pentru ei.\n\nMulțumesc,\nRadu Tudor"),
        "facts": ["training pe 8 aprilie", "Ana este în concediu 6-10 aprilie"],
        "good_reply": "refuză politicos: e în concediu atunci; poate propune altă dată",
        "instructions": "declină politicos, sunt în concediu atunci",
        "intent": "decline",
        "mention": [[r"concediu", r"plecat", r"indisponibil", r"nu (voi )?fi (aici|prezent|disponibil)"]],
        "must_not": [r"voi sustine", r"accept cu placere"],
    },
    {
        "id": "ro-minutes", "lang": "ro", "topic": "client cere minuta", "subject": "Minuta întâlnirii de ieri",
        "earlier": [
            (*ANA, "Bună ziua,\n\nVă mulțumim pentru întâlnirea de ieri. Revin mâine cu minuta și pașii următori.\n\n"
                   "Cu stimă,\nAna"),
        ],
        "incoming": ("Cristian Vlad", "cristian.vlad@transilvaniaenergy.ro",
                     "Bună ziua,\n\nMai aveți nevoie de ceva de la noi pentru minută? Am vrea să o prezentăm "
                     "joi în comitetul de direcție, împreună cu pașii următori și cine răspunde de fiecare.\n\n"
                     "Cu stimă,\nCristian Vlad\nTransilvania Energy"),
        "facts": ["Ana a promis minuta și pașii următori", "comitetul de direcție e joi"],
        "good_reply": "spune că trimite minuta cu pașii și responsabilii înainte de joi",
        "mention": [[r"minut"], [r"trimit", r"transmit", r"inainte de joi", r"pana (joi|maine|miercuri)",
                                 r"astazi", r"azi", r"maine"]],
        "must_not": [],
    },
    {
        "id": "ro-university", "lang": "ro", "topic": "invitație universitate (fără diacritice)",
        "subject": "Invitatie curs invitat",
        "earlier": [
            ("Prof. Mircea Oltean", "mircea.oltean@cs.ubbcluj.ro",
             "Draga Ana,\n\nAm vazut ca ai vorbit la meetup-ul de luna trecuta despre livrarea proiectelor. "
             "Felicitari, m-am bucurat sa aud de tine!\n\nMircea Oltean"),
            (*ANA, "Bună ziua, domnule profesor,\n\nVă mulțumesc mult, mă bucur că ați auzit!\n\nCu stimă,\nAna"),
        ],
        "incoming": ("Prof. Mircea Oltean", "mircea.oltean@cs.ubbcluj.ro",
                     "Draga Ana,\n\nSper ca esti bine. In semestrul acesta studentii de master de la Ingineria "
                     "Software au un curs despre managementul proiectelor si m-am gandit ca ar fi minunat sa le "
                     "povestesti din experienta ta la un curs invitat de doua ore. Ai fi disponibila?\n\n"
                     "Cu drag,\nMircea Oltean"),
        "facts": ["curs invitat de două ore, master Inginerie Software"],
        "good_reply": "acceptă cu plăcere și propune o dată în aprilie",
        "instructions": "accept, propose a date in April",
        "intent": "accept",
        "mention": [[r"aprilie"]],
        "must_not": [r"\bmai\b \d", r"\bmartie\b"],
    },
]
