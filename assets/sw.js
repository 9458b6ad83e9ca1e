// OpenFyxer's service worker: keeps the app shell (pages, scripts, styles, icons) so the
// dashboard opens without a network. Mail arrives over the live connection and the API, which
// are never cached here: the offline copy of the inbox and drafts lives in localStorage, which
// the sign-out clears (assets/offline.js).
const SHELL = "openfyxer-shell-v4";  // a new name drops the old cache on activation
const PRECACHE = ["/", "/login", "/inbox", "/drafts", "/manifest.webmanifest", "/icon-192.png", "/icon-512.png",
                  "/app.css", "/app.js", "/offline.js", "/push.js",
                 "/meetings.js", "/keys.js"];

self.addEventListener("install", (event) => {
  // One by one: a page that fails to load now is cached on a later visit instead of failing the install.
  event.waitUntil(caches.open(SHELL)
    .then((cache) => Promise.all(PRECACHE.map((path) => fetch(path).then(plain)
      .then((r) => (r.ok ? cache.put(path, r) : null)).catch(() => null))))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("openfyxer-") && k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

function isPrivate(url) {
  return url.pathname.startsWith("/api/") || url.pathname.startsWith("/health") || url.pathname.startsWith("/_event")
    || url.pathname.startsWith("/_upload");
}

// The server answers "/inbox" with a redirect to "/inbox/"; a browser refuses a redirected
// response for a page load, so a kept page is stored as a plain copy of its final answer.
function plain(response) {
  if (!response.redirected) return Promise.resolve(response);
  return response.blob().then((body) => new Response(body, {status: response.status, statusText: response.statusText,
                                                              headers: response.headers}));
}

function cachedPage(request) {
  const url = new URL(request.url);
  const other = url.pathname.endsWith("/") ? url.pathname.slice(0, -1) || "/" : url.pathname + "/";
  return caches.match(request, {ignoreSearch: true})
    .then((hit) => hit || caches.match(other))
    .then((hit) => hit || caches.match("/"));
}

function keep(request, response) {
  if (response.ok) {
    const copy = response.clone();
    plain(copy).then((page) => caches.open(SHELL).then((cache) => cache.put(request, page)));
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || isPrivate(url)) return;
  if (request.mode === "navigate") {
    // Pages: the network first (a new release shows at once), the cached shell when offline.
    event.respondWith(fetch(request).then((r) => keep(request, r))
      .catch(() => cachedPage(request)));
    return;
  }
  // Scripts, styles and icons are named by their content: the cache first, then the network.
  event.respondWith(caches.match(request).then((hit) => hit || fetch(request).then((r) => keep(request, r))));
});

// Web Push (services/notify/deliver._push): encrypted by the server for this browser alone. What it
// says is shown as text; a click opens its page of the dashboard, on this origin whatever the link
// says, in a tab already open on it when there is one. A copy sent again carries the same tag and
// replaces the one on screen.
self.addEventListener("push", (event) => {
  let m = {};
  try { m = event.data ? event.data.json() : {}; } catch (e) { m = {title: event.data.text()}; }
  event.waitUntil(self.registration.showNotification(m.title || "OpenFyxer", {
    body: m.body || "", tag: m.tag || undefined, data: {url: m.url || "/"}, icon: "/icon-192.png",
    badge: "/icon-192.png",
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const link = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  const here = new URL(link.pathname + link.search + link.hash, self.location.origin).href;
  event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true}).then((tabs) => {
    const open = tabs.find((tab) => tab.url === here);
    return open ? open.focus() : self.clients.openWindow(here);
  }));
});
