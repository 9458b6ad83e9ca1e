// The offline reader: when the server cannot be reached (no network, or the app is not running),
// show the copy of the inbox and drafts that the dashboard kept in localStorage on its last visit
// (openfyxer.ui.state.mail.keep_offline). Mail is untrusted: it is only ever set as textContent.
(function () {
  const KEY = "openfyxer-offline-";

  function read(name) {
    try { return JSON.parse(localStorage.getItem(KEY + name) || "null"); } catch (e) { return null; }
  }

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text) node.textContent = text;
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    return node;
  }

  function section(title, copy, id) {
    const box = el("section", null, {id: id, "aria-label": title});
    box.appendChild(el("h2", title));
    const rows = (copy && copy.rows) || [];
    if (!rows.length) box.appendChild(el("p", (copy && copy.none) || "—"));
    rows.forEach((row) => {
      const item = el("article", null, {class: "offline-row"});
      const open = el("details");
      const head = el("summary");
      head.appendChild(el("strong", row.sender || row.to || ""));
      head.appendChild(document.createTextNode(" · " + (row.subject || "") + " · " + (row.received || "")));
      open.appendChild(head);
      open.appendChild(el("pre", row.body || ""));
      item.appendChild(open);
      box.appendChild(item);
    });
    return box;
  }

  function show() {
    if (document.getElementById("offline-reader") || location.pathname.startsWith("/login")
        || location.pathname.startsWith("/register")) return;
    const inbox = read("inbox"), drafts = read("drafts");
    const copy = inbox || drafts;
    const lang = (copy && copy.lang) || (navigator.language || "en").slice(0, 2);
    const reader = el("div", null, {id: "offline-reader", role: "region", lang: lang,
                                    "aria-label": lang === "ro" ? "Copie offline" : "Offline copy"});
    reader.style.cssText = "position:fixed;inset:0;overflow:auto;background:#fff;color:#1c2024;z-index:2000";
    reader.appendChild(el("h1", "OpenFyxer"));
    reader.appendChild(el("p", copy ? copy.banner : (lang === "ro"
      ? "Ești offline și pe acest dispozitiv nu există încă o copie a e-mailurilor."
      : "You are offline and this device keeps no copy of your mail yet."), {role: "status", id: "offline-banner"}));
    if (inbox) reader.appendChild(section(inbox.inbox + (inbox.view && inbox.view !== inbox.inbox ? " · " + inbox.view : ""),
                                          inbox, "offline-inbox"));
    if (drafts) reader.appendChild(section(drafts.drafts, drafts, "offline-drafts"));
    document.body.appendChild(reader);
  }

  function hide() {
    const reader = document.getElementById("offline-reader");
    if (reader) reader.remove();
  }

  // Offline = the browser says so, or the server does not answer its health check (never cached).
  function check() {
    if (!navigator.onLine) { show(); return; }
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 4000));
    // Any answer, even "degraded", means the server is there and the live page works.
    Promise.race([fetch("/health", {cache: "no-store"}), timeout]).then(hide).catch(show);
  }

  window.addEventListener("offline", show);
  window.addEventListener("online", () => { hide(); location.reload(); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", check); else check();
})();
