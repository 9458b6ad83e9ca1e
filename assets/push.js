// Web Push on this device: Settings' "Notify this device" button (ui/pages/notify.py) carries the
// server's VAPID key. The browser subscribes with it and the subscription (or why it could not be
// made) goes back through the hidden #push-form, whose Reflex handler saves it as a channel. Only
// this page can ask the browser, and the CSP forbids the server sending script, hence this file.
(function () {
  function send(fields) {
    const form = document.getElementById("push-form");
    if (!form) return;
    Object.entries(fields).forEach(([name, value]) => { form.elements[name].value = value; });
    form.requestSubmit();
  }

  function key(b64url) {
    const raw = atob(b64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (b64url.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  function device() {
    const ua = navigator.userAgent;
    const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrom(e|ium)\//.test(ua)
      ? "Chromium" : /Safari\//.test(ua) ? "Safari" : "Browser";
    const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS"
      : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
    return os ? browser + " · " + os : browser;
  }

  function subscribe(button) {
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      send({push_error: "unsupported", push_subscription: ""});
      return;
    }
    Notification.requestPermission()
      .then((answer) => {
        if (answer !== "granted") throw Object.assign(new Error(answer), {name: "denied"});
        return navigator.serviceWorker.ready;
      })
      .then((reg) => reg.pushManager.getSubscription().then((old) => old || reg.pushManager.subscribe(
        {userVisibleOnly: true, applicationServerKey: key(button.dataset.vapidKey)})))
      .then((sub) => send({push_error: "", push_subscription: JSON.stringify(sub.toJSON()), push_device: device()}))
      .catch((e) => send({push_error: e.name === "denied" ? "denied" : "failed: " + (e.message || e.name),
                          push_subscription: ""}));
  }

  // Delegated: React renders and re-renders the button after this file has run.
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("#push-enable");
    if (button && button.dataset.vapidKey) subscribe(button);
  });
})();
