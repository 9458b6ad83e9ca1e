// Keyboard shortcuts for working the mail (issue 17): j/k move through the list, Enter or o opens,
// x selects, e archives, # deletes, s stars, r writes or edits the reply, f forwards, c composes,
// / searches, g then i/d/h goes to Inbox/Drafts/Home, ? shows the list (#shortcuts-help, drawn and translated by the page). Each key
// presses one of the page's own buttons, so a shortcut does exactly what the click does. Never while
// typing in a field, never with Ctrl, Alt or Meta held. A file because the CSP forbids inline script.
(function () {
  let row = -1; // the list row the keys are on
  let pendingG = 0; // when "g" was pressed, for g-then-letter

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']"));
  }

  function rows() { return [...document.querySelectorAll("#email-list .email-row")]; }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    row = Math.max(0, Math.min(all.length - 1, row + step));
    all.forEach((el, i) => el.toggleAttribute("data-key-current", i === row));
    all[row].focus();
    all[row].scrollIntoView({ block: "nearest" });
  }

  function click(selector) {
    const el = document.querySelector(selector);
    if (el && !el.disabled) { el.click(); return true; }
    return false;
  }

  // An action on the list: the row the keys are on is selected first if nothing is, then the bulk
  // button (drawn once something is selected) is pressed when it appears.
  function onList(button) {
    const selected = document.querySelectorAll("#email-list [role=checkbox][data-state=checked]").length;
    if (!selected) {
      const current = rows()[row];
      const box = current && current.parentElement.querySelector("[role=checkbox]");
      if (!box) return;
      box.click();
    }
    const started = Date.now();
    (function press() {
      if (click(button)) return;
      if (Date.now() - started < 3000) setTimeout(press, 50);
    })();
  }

  function act(onePage, listButton) {
    if (!click(onePage) && document.getElementById("email-list")) onList(listButton);
  }

  const KEYS = {
    j: () => move(1),
    k: () => move(-1),
    o: () => { const r = rows()[row]; if (r) r.click(); },
    x: () => { const r = rows()[row]; const box = r && r.parentElement.querySelector("[role=checkbox]"); if (box) box.click(); },
    e: () => act("#email-archive", "#bulk-archive"),
    "#": () => act("#email-trash", "#bulk-trash"),
    s: () => act("#email-star", "#bulk-star"),
    r: () => {
      const text = document.getElementById("draft-text");
      if (text && !text.readOnly) { text.focus(); return; }
      click("#draft-generate");
    },
    f: () => click("#email-forward"),
    c: () => { if (!click("#compose-new")) location.assign("/drafts?compose=1"); },
    "/": () => { const box = document.getElementById("search"); if (box) box.focus(); },
    "?": () => {
      const help = document.getElementById("shortcuts-help");
      if (help) help.hidden = !help.hidden;
    },
  };
  const GO = { i: "#nav-inbox", d: "#nav-drafts", h: "#nav-home" };

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) return;
    if (Date.now() - pendingG < 1500 && GO[event.key]) {
      pendingG = 0;
      event.preventDefault();
      click(GO[event.key]);
      return;
    }
    if (event.key === "g") { pendingG = Date.now(); return; }
    if (event.key === "Escape") { const help = document.getElementById("shortcuts-help"); if (help) help.hidden = true; }
    const run = KEYS[event.key];
    if (!run) return;
    event.preventDefault();
    run();
  });

  // A new page or a redrawn list starts again at the top.
  let seen = location.pathname;
  setInterval(() => { if (location.pathname !== seen) { seen = location.pathname; row = -1; } }, 300);
})();
