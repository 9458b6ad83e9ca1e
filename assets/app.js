// The page side of what the server asks the browser to do, without `eval`: the Content-Security-Policy
// forbids it, so the server never sends script. Handlers set attributes on one hidden element
// (#of-bridge, ui/components/bridge.py) and this file, served from this origin, acts on them:
//   data-handoff  a one-time code traded for the HttpOnly sign-in cookie; "-" clears that cookie
//   data-go       a same-origin address to load in this tab (e.g. an OAuth start that sets a cookie)
//   data-offline-inbox / data-offline-drafts   the copy for reading offline (assets/offline.js); "-" forgets it
(function () {
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js");

  // What was already acted on, per tab: the dashboard's state outlives a reload of the tab, and a
  // used code sent again would only be refused.
  const done = {};

  function seen(name) {
    try { return sessionStorage.getItem("of-bridge-" + name); } catch (e) { return done[name]; }
  }

  function once(name, value, act, remember) {
    if (!value || done[name] === value || (remember && seen(name) === value)) return;
    done[name] = value;
    if (remember) try { sessionStorage.setItem("of-bridge-" + name, value); } catch (e) { /* memory only */ }
    act(value);
  }

  function cookie(value) {
    const clear = value === "-";
    fetch("/api/v1/auth/ui-cookie", {
      method: clear ? "DELETE" : "POST", credentials: "same-origin",
      headers: {"content-type": "application/json"}, body: clear ? undefined : JSON.stringify({code: value}),
    }).catch(() => {});  // offline: the next page load signs in again from the cookie that is there
  }

  function go(value) {
    const url = new URL(value, location.href);
    if (url.origin === location.origin) location.assign(url.href);
  }

  function keep(name) {
    return (value) => {
      try {
        if (value === "-") localStorage.removeItem("openfyxer-offline-" + name);
        else localStorage.setItem("openfyxer-offline-" + name, value);
      } catch (e) { /* storage full or disabled: the offline copy is a convenience */ }
    };
  }

  function read() {
    const el = document.getElementById("of-bridge");
    if (!el) return;
    once("handoff", el.dataset.handoff, cookie, true);
    once("go", el.dataset.go, go, true);
    once("inbox", el.dataset.offlineInbox, keep("inbox"));
    once("drafts", el.dataset.offlineDrafts, keep("drafts"));
  }

  function start() {
    new MutationObserver(read).observe(document.body, {subtree: true, childList: true, attributes: true,
      attributeFilter: ["data-handoff", "data-go", "data-offline-inbox", "data-offline-drafts"]});
    read();
  }

  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();

// The registration form's hidden time zone: the browser's own (Intl), so times are right from the start
// (a Bucharest browser gets Europe/Bucharest, not UTC). The user can change it in Settings.
(function () {
  function fill() {
    const zone = (Intl.DateTimeFormat().resolvedOptions() || {}).timeZone || "";
    document.querySelectorAll("input[data-browser-zone]").forEach((el) => { if (!el.value) el.value = zone; });
  }
  function start() {
    fill();
    new MutationObserver(fill).observe(document.body, {subtree: true, childList: true});
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
