"""Threads whose reply depends on what Ana's mailbox and documents hold (`python -m bench.drafts`).

Same shape as bench.threads_data, plus `background`: items unrelated to the thread's own chain, in
the mailbox before drafting: earlier emails (February 2026, Inbox or Sent) and uploaded documents.
- Grounding threads (`uses`): the answer is a fact held only in the background (a price agreed in
  another thread, a date in a plan, a contract number in a document); load() checks it is there and
  not in the thread. Ask threads (`asks_user`): nothing there decides it (did Ana sign, approve,
  pick?); the draft leaves `[[Ask: ...]]` for Ana or asks the sender (`asks_about`), and states none
  of `invents`. Their background is related but does not answer, to tempt invention.
"""

from __future__ import annotations

from bench.threads_data import ANA

FEB = "2026-02-"


def mail(sender: tuple[str, str], subject: str, day: int, body: str, to: str = ANA[1]) -> dict:
    """An earlier email in Ana's mailbox: Sent when she wrote it, Inbox otherwise."""
    return {"kind": "email", "sender": sender, "to": to, "subject": subject, "date": f"{FEB}{day:02d}", "body": body}


def sent(to: str, subject: str, day: int, body: str) -> dict:
    return mail(ANA, subject, day, body, to=to)


def doc(filename: str, day: int, text: str) -> dict:
    """A document Ana uploaded to the knowledge base."""
    return {"kind": "document", "filename": filename, "date": f"{FEB}{day:02d}", "text": text}


TOM = ("Tom Reed", "tom.reed@brightlane.ro")
MIHAI = ("Mihai Stan", "mihai.stan@brightlane.ro")
CARMEN = ("Carmen Pop", "carmen.pop@brightlane.ro")
PRIYA = ("Priya Nair", "priya.nair@helixlabs.io")
GABRIELA = ("Gabriela Marin", "gabriela.marin@scoala-gimnaziala-3.ro")
# A currency amount in a draft: for a price nobody has given, any figure is an invention.
MONEY = [r"(eur|euro|€|\$|usd|ron|lei) ?\d", r"\d[\d.,]* ?(k|eur|euro|€|usd|ron|lei)\b"]

THREADS = [  # none of them has earlier messages: the question opens the thread (see the end of the file)
    # ------------------------------------------------------------------ English, the fact is in the background
    {
        "id": "en-g-sprint-price", "lang": "en", "topic": "price agreed in another thread",
        "subject": "Extra sprint PO", "incoming": ("Mark Davies", "mark.davies@northwind-retail.co.uk",
                     "Hi Ana,\n\nOur finance team is raising the purchase order for the extra sprint on the reporting "
                     "dashboards, and I can't find the price we agreed. Could you remind me of the amount and how it "
                     "will be billed?\n\nThanks,\nMark"),
        "background": [
            mail(("Mark Davies", "mark.davies@northwind-retail.co.uk"), "Reporting dashboards", 11,
                 "Hi Ana,\n\nCould you quote one extra sprint for the reporting dashboards? Our budget for it was "
                 "around EUR 10,000, but let's see what you propose.\n\nThanks,\nMark"),
            sent(TOM[1], "Northwind extra sprint agreed", 18,
                 "Hi Tom,\n\nGood news: Mark agreed on today's call to the extra sprint for the reporting dashboards, "
                 "at a fixed price of EUR 12,400, invoiced when the sprint ends. It starts on 16 March, so please "
                 "keep Radu and Elena free for it.\n\nBest,\nAna"),
        ],
        "facts": ["agreed on 18 Feb: fixed price EUR 12,400 (Sent mail to Tom)", "Mark's budget was EUR 10,000"],
        "good_reply": "EUR 12,400, fixed price, invoiced when the sprint ends",
        "mention": [[r"price", r"amount", r"eur", r"bill", r"invoice"]],
        "uses": [[r"12[ ,.]?400"], [r"fixed", r"end of the sprint", r"sprint (ends|is (over|done|finished))"]],
        "must_not": [r"time and materials", r"(price|amount) (is|was|of) (eur )?10[ ,.]?000"],
    },
    {
        "id": "en-g-dry-run", "lang": "en", "topic": "date in a plan document", "subject": "Migration dry run",
        "incoming": ("Grace Liu", "grace.liu@helixlabs.io",
                     "Hi Ana,\n\nI'm the new DBA on the Helix side and I'm planning my team's March rota. When "
                     "exactly is the dry run of the data migration, and how long should we block for it?\n\n"
                     "Thanks,\nGrace Liu\nHelix Labs"),
        "background": [
            doc("helix-migration-plan.md", 23,
                "Helix Labs - data migration plan (v3, agreed 23 February)\n\n1. Freeze of schema changes: 9 March.\n"
                "2. Dry run of the data migration: Saturday 14 March, 08:00 to 12:00, on a copy of production.\n"
                "3. Go/no-go call: Monday 16 March, 10:00.\n4. Cut-over: Saturday 21 March, 07:00 to 15:00.\n"
                "Owners: Brightlane (migration scripts, rollback), Helix Labs (DBA on call, sign-off)."),
        ],
        "facts": ["dry run Sat 14 March 08:00-12:00", "cut-over Sat 21 March (not the dry run)"],
        "good_reply": "Saturday 14 March, 08:00 to 12:00 (four hours)",
        "mention": [[r"dry run", r"saturday", r"march"]],
        "uses": [[r"14(th)? (of )?march", r"march 14", r"saturday,? (the )?14"],
                 [r"0?8[:.]00", r"8 ?am", r"12[:.]00", r"noon", r"midday", r"four hours", r"4 hours"]],
        "must_not": [r"dry run (is |will be )?(on )?(saturday,? )?(the )?21", r"dry run[^.]{0,30}march 21"],
    },
    {
        "id": "en-g-po-number", "lang": "en", "topic": "PO number from finance's mail",
        "subject": "Invoice for the 19 March offsite", "incoming": ("Martina Rossi", "events@olivegrovecatering.com",
                     "Hi Ana,\n\nWe are preparing the invoice for your team offsite on 19 March. Our accounts "
                     "department needs your purchase order number on it, otherwise your finance team will send it "
                     "back. Could you let me know the PO number?\n\nBest wishes,\nMartina"),
        "background": [
            mail(CARMEN, "PO for the offsite catering", 26,
                 "Hi Ana,\n\nThe purchase order for the offsite catering on 19 March is approved: PO-2026-0147, up to "
                 "EUR 2,900. Please ask Olive Grove to put it on their invoice, or we cannot pay it.\n\n"
                 "Thanks,\nCarmen Pop\nFinance, Brightlane"),
        ],
        "facts": ["PO-2026-0147 for the offsite catering (Carmen, finance)"], "good_reply": "gives PO-2026-0147",
        "mention": [[r"po", r"purchase order"]], "uses": [[r"po-? ?2026-? ?0147", r"2026-0147"]],
    },
    {
        "id": "en-g-boiler", "lang": "en", "topic": "personal: service date in a company's mail",
        "subject": "Boiler service date", "incoming": ("Richard Moore", "richard.moore@moorelettings.com",
                     "Hello Ana,\n\nThe gas safety inspector is visiting all my flats this month and needs the date of "
                     "the last boiler service at your place, and the name of the company that did it. Could you "
                     "send me those?\n\nThanks,\nRichard"),
        "background": [
            mail(("TermoService Cluj", "service@termoservice-cluj.ro"), "Your boiler service report", 11,
                 "Dear Ms Popescu,\n\nThank you for choosing TermoService. This confirms the annual service of your "
                 "Vaillant boiler, done today, 11 February 2026, by our technician Paul Sabău. Everything was in "
                 "order; the next service is due in February 2027.\n\nTermoService Cluj"),
        ],
        "facts": ["boiler serviced on 11 February 2026 by TermoService Cluj"],
        "good_reply": "11 February 2026, TermoService Cluj", "mention": [[r"service", r"boiler"]],
        "uses": [[r"11(th)? (of )?feb", r"feb(ruary)? 11", r"11[./]0?2"], [r"termoservice", r"termo service"]],
    },
    {
        "id": "en-g-support-hours", "lang": "en", "topic": "figure in a CSV report",
        "subject": "Support hours this quarter", "incoming": ("Sam Wright", "sam.wright@northwind-retail.co.uk",
                     "Hi Ana,\n\nBefore our steering meeting next week: how many support hours have we used so far "
                     "this quarter, out of the 120 in the contract? I'd like to know whether we need to top up.\n\n"
                     "Thanks,\nSam"),
        "background": [
            doc("northwind-support-hours-q1.csv", 28,
                "Northwind Retail support hours used, Q1 2026 (contract: 120 hours per quarter)\n"
                "month,hours used,main topics\nJanuary,41.0,store sync incidents; VPN access\n"
                "February,45.5,export fixes; login timeout\nTotal used to 28 February,86.5,\n"
                "Remaining for March,33.5,"),
        ],
        "facts": ["86.5 of 120 hours used to 28 February, 33.5 left for March"],
        "good_reply": "86.5 hours used by the end of February, 33.5 left",
        "mention": [[r"hours"]], "uses": [[r"86[.,]5", r"33[.,]5"]],
    },
    {
        "id": "en-g-workshop-room", "lang": "en", "topic": "room booked by the office manager",
        "subject": "Thursday's workshop", "incoming": ("Priya Nair", "priya.nair@helixlabs.io",
                     "Hi Ana,\n\nThree of us are coming to your office for Thursday's architecture workshop. Which "
                     "room should we ask for at reception, and is there somewhere to park nearby?\n\nBest,\nPriya"),
        "background": [
            mail(("Bianca Pavel", "office@brightlane.ro"), "Room booked: Helix architecture workshop", 27,
                 "Hi Ana,\n\nI've booked the Someș room on the 3rd floor for the Helix architecture workshop on "
                 "Thursday 12 March, 09:30 to 16:00, with lunch for eight. Visitors can park in the Iulius Mall car "
                 "park across the street; reception gives them a free parking ticket.\n\nBianca\n"
                 "Office Manager, Brightlane"),
        ],
        "facts": ["Someș room, 3rd floor", "park at Iulius Mall across the street, ticket from reception"],
        "good_reply": "the Someș room on the 3rd floor; Iulius Mall car park, reception gives a ticket",
        "mention": [[r"room", r"park"]],
        "uses": [[r"somes"], [r"iulius", r"across the street", r"parking ticket", r"ticket"]],
    },
    {
        "id": "en-g-notice", "lang": "en", "topic": "term in a contract summary",
        "subject": "Pausing the support retainer", "incoming": ("Nina Shah", "nina.shah@northwind-retail.co.uk",
                     "Dear Ana,\n\nWe are reviewing our supplier agreements. If we decide to pause the support "
                     "retainer over the summer, how much notice do we have to give under our framework agreement, "
                     "and to whom?\n\nKind regards,\nNina Shah\nProcurement, Northwind Retail"),
        "background": [
            doc("northwind-framework-agreement-summary.md", 5,
                "Northwind Retail - framework agreement (signed 3 June 2025), summary\n\n- Term: 24 months, then "
                "renews yearly unless ended.\n- Support retainer: may be paused or ended with 60 days' written notice "
                "to the other party's account manager (Brightlane: Ana Popescu).\n- Payment terms: 30 days from "
                "invoice.\n- Liability cap: fees paid in the previous 12 months."),
        ],
        "facts": ["60 days' written notice to the account manager (Ana)", "30 days are the payment terms"],
        "good_reply": "60 days' written notice, to Ana as Brightlane's account manager",
        "mention": [[r"notice"]], "uses": [[r"60", r"sixty"]], "must_not": [r"30 days'? (written )?notice", r"90 days"],
    },
    {
        "id": "en-g-export-format", "lang": "en", "topic": "decision in meeting notes",
        "subject": "Northwind export format", "incoming": ("Dan Matei", "dan.matei@brightlane.ro",
                     "Hi Ana,\n\nI'm starting on the Northwind export tomorrow. What did we agree with them about the "
                     "file format at the last review? I wasn't in that meeting.\n\nThanks,\nDan"),
        "background": [
            doc("northwind-review-notes-2026-02-24.md", 24,
                "Northwind Retail - sprint review, 24 February 2026\nPresent: Mark Davies, Sam Wright, Ana Popescu, "
                "Tom Reed\n\nDecisions\n- Export format: CSV, UTF-8, semicolon-separated, one file per store per day. "
                "XLSX is dropped.\n- Login timeout: raised to 30 minutes.\n\nActions\n- Brightlane: export ready by "
                "20 March.\n- Northwind: sample store data by 6 March."),
        ],
        "facts": ["CSV, UTF-8, semicolons, one file per store per day; XLSX dropped"],
        "good_reply": "CSV in UTF-8 with semicolons, one file per store per day, no XLSX",
        "mention": [[r"format", r"csv"]], "uses": [[r"semicolon", r"semi-colon"], [r"csv"]],
        "must_not": [r"(use|in|as|agreed on) xlsx"],
    },
    # ------------------------------------------------------------------ Romanian, the fact is in the background
    {
        "id": "ro-g-contract-nr", "lang": "ro", "topic": "număr de contract dintr-un document",
        "subject": "Număr contract pentru ordinul de plată",
        "incoming": ("Andrei Munteanu", "andrei.munteanu@banca-nordica.ro",
                     "Bună ziua, doamna Popescu,\n\nColegii de la decontări îmi cer, pentru ordinul de plată al "
                     "facturii din februarie, numărul contractului nostru de servicii și data la care a fost "
                     "semnat. Mi le puteți transmite, vă rog?\n\nCu stimă,\nAndrei Munteanu\nBanca Nordică"),
        "background": [
            doc("Contract Banca Nordica - rezumat.md", 3,
                "Banca Nordică – contract de prestări servicii software\nNumăr contract: BN-2025/117\nData "
                "semnării: 14 noiembrie 2025\nObiect: dezvoltarea și mentenanța platformei de raportare internă\n"
                "Durata: 12 luni, cu prelungire prin act adițional\nPlata: la 30 de zile de la emiterea facturii"),
        ],
        "facts": ["contractul BN-2025/117, semnat pe 14 noiembrie 2025"],
        "good_reply": "numărul BN-2025/117 și data de 14 noiembrie 2025",
        "mention": [[r"contract"]], "uses": [[r"bn-? ?2025/? ?117"], [r"14 noiembrie", r"14[./]11[./]2025"]],
    },
    {
        "id": "ro-g-tarif", "lang": "ro", "topic": "tarif stabilit într-un mail trimis",
        "subject": "Tarif ore suplimentare suport", "incoming": ("Cristian Vlad", "cristian.vlad@transilvaniaenergy.ro",
                     "Bună ziua,\n\nÎn martie probabil vom depăși orele de suport incluse în abonament. Îmi puteți "
                     "reaminti ce tarif orar am stabilit pentru orele suplimentare de suport și dacă există un "
                     "plafon lunar? Trebuie să aprob bugetul.\n\nCu stimă,\nCristian Vlad\nTransilvania Energy"),
        "background": [
            sent(MIHAI[1], "Transilvania Energy – ore suplimentare de suport", 16,
                 "Bună ziua,\n\nAm stabilit azi cu Transilvania Energy tariful pentru orele suplimentare de suport: "
                 "45 EUR pe oră, fără TVA, cu un plafon de 40 de ore pe lună peste abonament. Vă rog să le treceți "
                 "așa în raportul lunar.\n\nCu stimă,\nAna"),
        ],
        "facts": ["45 EUR/oră fără TVA, plafon 40 de ore pe lună (mail trimis lui Mihai)"],
        "good_reply": "45 EUR pe oră fără TVA, maximum 40 de ore pe lună", "mention": [[r"tarif", r"ora", r"eur"]],
        "uses": [[r"45 ?(eur|euro|€)", r"(eur|euro|€) ?45"], [r"40 (de )?ore"]],
    },
    {
        "id": "ro-g-instruire", "lang": "ro", "topic": "dată dintr-un plan de instruire",
        "subject": "Instruire modul stocuri", "incoming": ("Simona Barbu", "simona.barbu@farmavita.ro",
                     "Bună ziua,\n\nTrebuie să anunț farmaciștii care participă la instruirea pentru noul modul de "
                     "stocuri. Îmi puteți spune când are loc instruirea, cât durează și dacă se face online sau la "
                     "sediu?\n\nVă mulțumesc,\nSimona Barbu\nFarmaVita"),
        "background": [
            doc("FarmaVita - plan de instruire modul stocuri.md", 20,
                "FarmaVita – plan de instruire, modulul de stocuri\nSesiunea 1: miercuri, 18 martie, 10:00–13:00, "
                "online (Teams), pentru cei 12 farmaciști-șefi.\nSesiunea 2: la cerere, după go-live.\nFormator: "
                "Andreea Moldovan (Brightlane).\nMaterial: ghidul de utilizare, trimis cu o zi înainte."),
        ],
        "facts": ["miercuri 18 martie, 10:00–13:00, online pe Teams"],
        "good_reply": "18 martie, 10:00–13:00 (trei ore), online pe Teams",
        "mention": [[r"instruir", r"sesiun", r"online"]],
        "uses": [[r"18 martie"], [r"10[:.]00", r"13[:.]00", r"trei ore", r"3 ore", r"teams"]],
    },
    {
        "id": "ro-g-leasing", "lang": "ro", "topic": "sumă dintr-un mail de confirmare",
        "subject": "Avans leasing auto", "incoming": ("Elena Dobre", "contabilitate@conta-expert.ro",
                     "Bună ziua,\n\nPentru închiderea lunii februarie avem nevoie de valoarea avansului plătit pentru "
                     "leasingul auto, de data plății și de numărul contractului de leasing. Ne puteți comunica "
                     "aceste date?\n\nCu stimă,\nElena Dobre\nConta Expert SRL"),
        "background": [
            mail(("AutoLease Transilvania", "contracte@autolease-transilvania.ro"),
                 "Confirmare plată avans – contract de leasing AL-55821", 10,
                 "Bună ziua,\n\nVă confirmăm primirea avansului de 18.600 lei, achitat pe 9 februarie 2026, pentru "
                 "contractul de leasing financiar nr. AL-55821 (Škoda Octavia). Prima rată scade pe 15 martie.\n\n"
                 "Cu stimă,\nEchipa AutoLease Transilvania"),
        ],
        "facts": ["avans 18.600 lei, plătit pe 9 februarie 2026, contract AL-55821"],
        "good_reply": "18.600 lei, 9 februarie 2026, contractul AL-55821",
        "mention": [[r"avans", r"leasing"]], "uses": [[r"18[.,]?600"], [r"al-? ?55821"]],
    },
    {
        "id": "ro-g-suprafata", "lang": "ro", "topic": "personal: suprafață dintr-un mail al proprietarului",
        "subject": "Actualizare date apartament 14",
        "incoming": ("Asociatia de Proprietari Fabricii 12", "admin@asociatia-fabricii12.ro",
                     "Bună ziua, doamna Popescu,\n\nActualizăm baza de calcul pentru întreținere. Vă rugăm să ne "
                     "comunicați suprafața utilă a apartamentului 14, așa cum apare în contractul dumneavoastră de "
                     "închiriere.\n\nVă mulțumim,\nAdministrator Ioan Pop"),
        "background": [
            # Vasile writes without diacritics, as in bench.threads_data's ro-landlord.
            mail(("Vasile Rusu", "vasile.rusu58@yahoo.com"), "Date apartament 14 pentru asociatie", 2,
                 "Buna ziua doamna Ana,\n\nVa trimit datele din contractul de inchiriere, daca va cere asociatia de "
                 "proprietari: suprafata utila a apartamentului 14 este de 68,40 mp, iar suprafata construita de "
                 "79,10 mp. Intretinerea o platiti dumneavoastra, ca pana acum.\n\nCu respect,\nVasile Rusu"),
        ],
        "facts": ["suprafața utilă: 68,40 mp (construită: 79,10 mp)"], "good_reply": "68,40 mp suprafață utilă",
        "mention": [[r"suprafat", r"mp", r"metri"]], "uses": [[r"68[,.]4"]],
        "invents": [r"79[,.]1"],  # the built area, not the usable one
    },
    {
        "id": "ro-g-ssl", "lang": "ro", "topic": "dată de expirare dintr-un mail de la furnizor",
        "subject": "Certificat SSL portal FarmaVita", "incoming": ("Mihai Stan", "mihai.stan@brightlane.ro",
                     "Bună ziua,\n\nPregătesc lista de mentenanță pentru martie. Știți când expiră certificatul SSL al "
                     "portalului FarmaVita și de la ce furnizor l-am cumpărat? Nu îl găsesc în documentația "
                     "proiectului.\n\nMulțumesc,\nMihai"),
        "background": [
            mail(("CloudNest", "suport@cloudnest.ro"), "Reînnoire certificat SSL – portal FarmaVita", 13,
                 "Bună ziua,\n\nVă reamintim că certificatul SSL pentru portalul FarmaVita, emis de CloudNest în "
                 "martie 2025, expiră pe 27 martie 2026. Îl puteți reînnoi din contul de client până pe 20 martie, "
                 "fără întreruperea serviciului.\n\nCu stimă,\nEchipa CloudNest"),
        ],
        "facts": ["certificatul expiră pe 27 martie 2026, furnizor CloudNest, reînnoire până pe 20 martie"],
        "good_reply": "expiră pe 27 martie, e de la CloudNest",
        "mention": [[r"certificat", r"ssl"]], "uses": [[r"27 martie"], [r"cloudnest"]],
    },
    {
        "id": "ro-g-cui", "lang": "ro", "topic": "date de firmă dintr-un document",
        "subject": "Date facturare comanda 2240", "incoming": ("Sorin Pavel", "sorin.pavel@mobilofis.ro",
                     "Bună ziua,\n\nPentru factura comenzii 2240 (două dulapuri de arhivă) avem nevoie de codul fiscal "
                     "al firmei și de numărul de înregistrare la Registrul Comerțului. Ni le puteți trimite?\n\n"
                     "Cu stimă,\nSorin Pavel\nMobilOfis"),
        "background": [
            doc("Date firma Brightlane.txt", 2,
                "Brightlane Software SRL – date de facturare\nCod fiscal (CUI): RO31846207\nNr. de înregistrare la "
                "Registrul Comerțului: J12/4518/2013\nSediu: str. Republicii nr. 9, etaj 3, Cluj-Napoca\n"
                "Bancă: Banca Transilvania"),
        ],
        "facts": ["CUI RO31846207, J12/4518/2013"], "good_reply": "CUI RO31846207, Reg. Com. J12/4518/2013",
        "mention": [[r"cod", r"cui", r"registr"]], "uses": [[r"(ro ?)?31846207"], [r"j ?12/4518/2013"]],
    },
    {
        "id": "ro-g-golive", "lang": "ro", "topic": "decizie dintr-o minută", "subject": "Data de go-live AgroNord",
        "incoming": ("Andreea Lazăr", "andreea.lazar@agronord.ro",
                     "Bună ziua,\n\nDirectorul nostru general m-a întrebat ce dată de go-live am stabilit pentru "
                     "aplicația de gestiune a fermelor și ce trebuie să pregătim noi înainte. Eu nu am fost la "
                     "ședința din februarie. Mă puteți ajuta?\n\nCu stimă,\nAndreea Lazăr\nAgroNord"),
        "background": [
            doc("Minuta AgroNord 19.02.2026.md", 19,
                "Minuta ședinței AgroNord – Brightlane, 19 februarie 2026\nParticipanți: Victor Pașca (AgroNord), Ana "
                "Popescu, Tom Reed\nDecizii:\n- Go-live: luni, 6 aprilie 2026, după testele de acceptanță din 23–27 "
                "martie.\n- AgroNord pregătește lista utilizatorilor și datele fermelor până pe 13 martie.\n"
                "- Brightlane livrează versiunea de test pe 20 martie."),
        ],
        "facts": ["go-live luni 6 aprilie 2026", "AgroNord: lista utilizatorilor și datele fermelor până pe 13 martie"],
        "good_reply": "6 aprilie; până pe 13 martie lista utilizatorilor și datele fermelor",
        "mention": [[r"go-live", r"aprilie"]],
        "uses": [[r"6 aprilie"], [r"13 martie", r"lista utilizatorilor", r"datele fermelor", r"utilizator"]],
    },
    # ------------------------------------------------------------------ English, nothing decides it: ask
    {
        "id": "en-a-dpa-signed", "lang": "en", "topic": "did you sign? (only Ana knows)", "subject": "Signed DPA?",
        "incoming": ("Priya Nair", "priya.nair@helixlabs.io",
                     "Hi Ana,\n\nOur legal team is closing the onboarding file for your company. Have you signed the "
                     "updated data processing agreement we sent on 20 February? If so, could you send us the "
                     "signed copy?\n\nBest,\nPriya"),
        "background": [
            mail(PRIYA, "Updated DPA for signature", 20,
                 "Hi Ana,\n\nAs discussed, here is the updated data processing agreement, with the new list of "
                 "sub-processors in annex 2. Could you review it and return it signed when you can?\n\nBest,\nPriya"),
            mail(TOM, "Helix DPA and our subcontractors", 24,
                 "Hi Ana,\n\nLegal asked whether the new Helix DPA changes anything for our subcontractors. I said "
                 "I'd check with you.\n\nCheers,\nTom"),
        ],
        "facts": ["the DPA was sent for signature on 20 Feb", "nothing says whether Ana signed it"],
        "good_reply": "[[Ask: have you signed the DPA?]] for Ana; no claim either way",
        "mention": [[r"dpa", r"data processing", r"agreement", r"sign"]], "asks_user": True,
        "invents": [r"(i|we)( have|'ve)? (already |now |just )?signed", r"(it'?s|it is|it has been|it was|has been|"
                    r"was|is now) (already )?signed", r"signed (it|the (updated )?(dpa|agreement))",
                    r"(have|has) ?n[o']t (yet )?(been )?signed", r"not (yet )?(been )?signed",
                    r"(here is|attached is|i'?m sending|i'?ve sent|i have sent) (you )?the signed"],
    },
    {
        "id": "en-a-approve-spend", "lang": "en", "topic": "approve a spend? (Ana decides)",
        "subject": "Load-testing licence", "incoming": ("Dan Matei", "dan.matei@brightlane.ro",
                     "Hi Ana,\n\nFor the bank's performance tests we need a load-testing tool. The annual licence for "
                     "k6 Cloud is $4,800 and the vendor's quote is valid until Friday. Can you approve the spend so "
                     "I can place the order?\n\nThanks,\nDan"),
        "background": [
            mail(CARMEN, "Q1 tools budget", 9,
                 "Hi Ana,\n\nFor Q1 the delivery team has USD 6,000 left in the tools budget. Any purchase above "
                 "USD 1,000 needs your written approval as delivery manager before the order.\n\nThanks,\n"
                 "Carmen Pop\nFinance, Brightlane"),
        ],
        "facts": ["USD 6,000 left in the budget; above USD 1,000 Ana approves in writing", "no decision yet"],
        "good_reply": "[[Ask: approve the $4,800 licence?]] or questions to Dan (alternatives, need); no decision",
        "mention": [[r"licen[cs]e", r"k6", r"4[ ,.]?800", r"tool", r"spend"]], "asks_user": True,
        "invents": [r"(i'?ve|i have|i) approved", r"(is|it'?s|has been) (now )?approved", r"go ahead",
                    r"(i|i'?ll|i will|i can|i do) approve", r"green light", r"(happy|ok|fine|glad) to approve",
                    r"(you have|you'?ve got) my (approval|ok|go-ahead)", r"(declin|reject)(e|ed|ing)? (it|the)",
                    r"(can'?t|cannot|won'?t|will not|not able to) approve"],
        "asks_about": [r"alternativ", r"cheaper", r"compar", r"monthly", r"open[- ]source", r"why", r"jmeter",
                       r"other (tool|option)", r"free (tool|option|version)", r"how long", r"need (it|the)"],
    },
    {
        "id": "en-a-cloud-pick", "lang": "en", "topic": "which vendor? (not decided)",
        "subject": "Helix staging: Azure or AWS?", "incoming": ("Tom Reed", "tom.reed@brightlane.ro",
                     "Hi Ana,\n\nI need to set up the pipeline for the Helix staging environment this week. Which of "
                     "the two providers did you pick in the end, Azure or AWS? I'll order the resources as soon as I "
                     "know.\n\nCheers,\nTom"),
        "background": [
            doc("helix-staging-hosting-quotes.md", 17,
                "Helix Labs staging - hosting quotes (February 2026)\nAzure (West Europe): EUR 1,150 per month, "
                "managed PostgreSQL included, 12-month commitment.\nAWS (eu-central-1): EUR 1,090 per month, "
                "PostgreSQL on RDS, no commitment.\nNotes: Helix's security team already audits Azure; AWS is "
                "cheaper and has no lock-in."),
        ],
        "facts": ["two quotes with pros and cons, no decision anywhere"],
        "good_reply": "[[Ask: Azure or AWS?]] or a question to Tom (his view); picks nothing",
        "mention": [[r"azure", r"aws", r"provider"]], "asks_user": True,
        "invents": [r"(we|i)('ve| have)? (picked|chose|chosen|went with|decided on|selected|settled on|gone with)",
                    r"let'?s go with", r"(we'?re|we are|i'?m|i am) going with", r"go(ing)? with (aws|azure)",
                    r"(aws|azure) it is", r"(aws|azure) (is|was) (chosen|picked|selected|the choice)",
                    r"(please )?(order|use|pick|choose) (aws|azure)"],
        "asks_about": [r"prefer", r"recommend", r"your (view|opinion|take|preference)", r"what do you think",
                       r"which (one )?would you", r"security team", r"heard (back )?from"],
    },
    {
        "id": "en-a-discovery-price", "lang": "en", "topic": "price for a new client (none given)",
        "subject": "Discovery phase - cost", "incoming": ("Daniel Fischer", "daniel.fischer@alpenwerk.de",
                     "Dear Ana,\n\nThank you for the call on Monday. Before our board meets on 12 March, could you "
                     "tell me roughly what a two-week discovery phase with your team would cost us? A range is "
                     "fine.\n\nKind regards,\nDaniel Fischer\nAlpenwerk GmbH"),
        "background": [
            mail(("Daniel Fischer", "daniel.fischer@alpenwerk.de"), "Introduction", 25,
                 "Dear Ana,\n\nCristian Vlad recommended you. We are a manufacturer in Sibiu with 300 staff and want "
                 "to replace our production planning tool. Could we have a call next week?\n\nKind regards,\n"
                 "Daniel Fischer\nAlpenwerk GmbH"),
            sent(TOM[1], "Northwind discovery wrap-up", 12,
                 "Hi Tom,\n\nThe Northwind discovery phase is closed: ten days, two people, invoiced at EUR 9,800 as "
                 "agreed. Thanks for running the workshops.\n\nBest,\nAna"),
        ],
        "facts": ["no price for Alpenwerk anywhere", "EUR 9,800 was another client's discovery"],
        "good_reply": "[[Ask: what range to quote?]] or asks Daniel for scope before quoting; no figure",
        "mention": [[r"discovery", r"estimate", r"quote", r"cost", r"price", r"range"]], "asks_user": True,
        "invents": MONEY,
        "asks_about": [r"scope", r"requirement", r"team", r"detail", r"call", r"how many", r"goals?", r"users?",
                       r"which (systems|processes|sites)", r"priorit"],
    },
    # ------------------------------------------------------------------ Romanian, nothing decides it: ask
    {
        "id": "ro-a-act-semnat", "lang": "ro", "topic": "ați semnat? (doar Ana știe)", "subject": "Act adițional nr. 2",
        "incoming": ("Laurențiu Gheorghe", "laurentiu.gheorghe@transportsomes.ro",
                     "Bună ziua, doamna Popescu,\n\nVă scriu în legătură cu actul adițional nr. 2 la contractul de "
                     "mentenanță, pe care vi l-am trimis pe 17 februarie. L-ați semnat? Dacă da, vă rog să ne "
                     "trimiteți un exemplar scanat, ca să putem emite comanda pentru martie.\n\nCu stimă,\n"
                     "Laurențiu Gheorghe\nTransport Someș"),
        "background": [
            mail(("Laurențiu Gheorghe", "laurentiu.gheorghe@transportsomes.ro"),
                 "Act adițional nr. 2 – spre semnare", 17,
                 "Bună ziua,\n\nVă transmitem spre semnare actul adițional nr. 2, prin care prelungim contractul de "
                 "mentenanță până la 31 decembrie 2026 și adăugăm modulul de urmărire GPS. Așteptăm un exemplar "
                 "semnat.\n\nCu stimă,\nLaurențiu Gheorghe\nTransport Someș"),
        ],
        "facts": ["actul adițional a fost trimis spre semnare pe 17 februarie", "nimic nu spune dacă Ana l-a semnat"],
        "good_reply": "[[Ask: ați semnat actul adițional?]] pentru Ana; nicio afirmație",
        "mention": [[r"act(ul)? aditional", r"semn", r"contract"]], "asks_user": True,
        "invents": [r"(l-?am|am) (si )?semnat", r"(a fost|este) (deja )?semnat", r"nu (l-?)?am (inca )?semnat",
                    r"(va|vi-l) (trimit|transmit|atasez) (si )?(exemplarul|actul|un exemplar|scanat)",
                    r"semnat si trimis"],
    },
    {
        "id": "ro-a-buget", "lang": "ro", "topic": "aprobați bugetul? (decide Ana)",
        "subject": "Aprobare buget echipamente", "incoming": ("Mihai Stan", "mihai.stan@brightlane.ro",
                     "Bună ziua,\n\nPentru cei doi colegi noi care încep pe 16 martie avem nevoie de monitoare, "
                     "căști și stații de andocare. Oferta de la TechSupply este de 3.200 lei în total. Puteți aproba "
                     "bugetul, ca să plasez comanda azi?\n\nMulțumesc,\nMihai"),
        "background": [
            doc("Politica de achizitii Brightlane.md", 4,
                "Politica de achiziții Brightlane (rezumat, ianuarie 2026)\n- Achizițiile de peste 2.000 lei se aprobă "
                "în scris de managerul de livrare al proiectului.\n- Pentru achizițiile de peste 5.000 lei se cer cel "
                "puțin două oferte.\n- Echipamentele pentru angajații noi se comandă cu cel puțin 10 zile înainte de "
                "prima zi de lucru."),
        ],
        "facts": ["peste 2.000 lei aprobă în scris managerul de livrare", "nicio decizie luată"],
        "good_reply": "[[Ask: aprobați 3.200 lei?]] sau întrebări către Mihai (oferta detaliată); nicio decizie",
        "mention": [[r"buget", r"comand", r"ofert", r"3[.,]?200", r"echipament"]], "asks_user": True,
        "invents": [r"(am|l-am|le-am|am si) aprobat", r"(este|e|a fost) aprobat(a)?\b", r"aprob\b", r"sunt de acord",
                    r"mergeti (mai departe|inainte)", r"puteti (plasa|lansa|face|trimite) comanda", r"plasati comanda",
                    r"nu (pot|voi) aproba", r"(resping|refuz)\b", r"aveti (aprobarea|acordul) (mea|meu)",
                    r"confirm aprobarea"],
        "asks_about": [r"ofert", r"altern", r"compar", r"detal", r"defalc", r"lista", r"ce (anume|echipament|modele)",
                       r"de ce", r"pret"],
    },
    {
        "id": "ro-a-scaune", "lang": "ro", "topic": "care model? (nedecis)", "subject": "Scaune ergonomice – model",
        "incoming": ("Sorin Pavel", "sorin.pavel@mobilofis.ro",
                     "Bună ziua,\n\nRevin în legătură cu scaunele ergonomice pentru biroul din Cluj: ați decis care "
                     "dintre cele două modele vi se potrivește, Ergo Plus sau Comfort Pro? Dacă îmi confirmați azi, "
                     "le putem livra odată cu birourile.\n\nCu stimă,\nSorin Pavel\nMobilOfis"),
        "background": [
            doc("Oferta MobilOfis scaune 1187.md", 16,
                "Ofertă MobilOfis nr. 1187/2026 – scaune ergonomice (12 bucăți)\nErgo Plus: 1.150 lei/buc., garanție "
                "3 ani, livrare în 5 zile.\nComfort Pro: 1.390 lei/buc., garanție 5 ani, suport lombar reglabil, "
                "livrare în 10 zile.\nOferta este valabilă până la 31 martie 2026."),
            mail(("Radu Tudor", "radu.tudor@brightlane.ro"), "Scaune – părerea echipei", 25,
                 "Bună ziua,\n\nAm adunat părerile colegilor după ce au testat cele două scaune: jumătate preferă Ergo "
                 "Plus, jumătate Comfort Pro. Decizia rămâne la dumneavoastră.\n\nRadu"),
        ],
        "facts": ["două modele ofertate, echipa e împărțită, decizia e a Anei"],
        "good_reply": "[[Ask: Ergo Plus sau Comfort Pro?]] sau o întrebare către Sorin; nu alege",
        "mention": [[r"ergo", r"comfort", r"model", r"scaun"]], "asks_user": True,
        "invents": [r"(am ales|alegem|optam|am optat|mergem pe|ramanem la|preferam|vom comanda)\b",
                    r"(ergo plus|comfort pro) (este|e|ramane) (alegerea|varianta|modelul)", r"comandam",
                    r"va confirm (modelul|varianta|ergo|comfort)"],
        "asks_about": [r"diferent", r"garant", r"termen", r"mostr", r"test", r"recomand", r"livr", r"pana (cand|la)",
                       r"valabil"],
    },
    {
        "id": "ro-a-excursie", "lang": "ro", "topic": "personal: participă copilul? (decide Ana)",
        "subject": "Excursia la Sibiu", "incoming": ("Gabriela Marin", "gabriela.marin@scoala-gimnaziala-3.ro",
                     "Stimați părinți,\n\nVă rog să îmi confirmați până vineri dacă fiul sau fiica dumneavoastră "
                     "participă la excursia clasei a III-a B la Sibiu, din 29 mai, și dacă ați achitat avansul de "
                     "150 de lei. Avem nevoie de numărul final pentru rezervarea autocarului.\n\nCu drag,\n"
                     "Înv. Gabriela Marin"),
        "background": [
            mail(GABRIELA, "Excursia de sfârșit de an – detalii", 18,
                 "Stimați părinți,\n\nExcursia de sfârșit de an va fi la Sibiu, pe 29 mai: vizită la Muzeul ASTRA și "
                 "la Grădina Zoologică. Costul total este de 320 de lei, cu un avans de 150 de lei, care se achită la "
                 "secretariat sau prin transfer până pe 13 martie.\n\nCu drag,\nÎnv. Gabriela Marin"),
        ],
        "facts": ["nimic nu spune dacă Luca merge sau dacă avansul e plătit"],
        "good_reply": "[[Ask: merge Luca? ați plătit avansul?]] sau o întrebare către învățătoare; nicio confirmare",
        "mention": [[r"excursi", r"sibiu", r"avans"]], "asks_user": True,
        "invents": [r"(luca|copilul|fiul meu|fiul nostru) (va participa|participa|merge|vine|va merge|va veni)",
                    r"(am|vom) (achitat|platit|achita|plati|transferat|transfera)",
                    r"avansul (a fost|este|e|l-am) (deja )?(achitat|platit)",
                    r"(luca|copilul|fiul meu) nu (va )?(participa|merge|veni)", r"confirm participarea"],
        "asks_about": [r"pana (cand|la ce data)", r"termen", r"detal", r"program", r"insoti", r"cont(ul)?\b",
                       r"transfer", r"cum (se )?(poate )?(achit|plat)", r"ce (trebuie|include)", r"ora\b"],
    },
]
THREADS = [{"earlier": [], **t} for t in THREADS]
