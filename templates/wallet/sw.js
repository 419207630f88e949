{% autoescape off %}/* Heitje wallet service worker: keeps the shell (styles, scripts, icons, the offline page)
   so the installed app opens without a connection. Money data is never cached: wallet pages
   and the API always come from the network. */
const CACHE = "heitje-shell-{{ version }}";
const OFFLINE_URL = {{ offline_url }};
const SHELL = {{ assets }};

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL);
    // Without cookies: the offline page must hold nothing of the person signed in.
    const offline = await fetch(new Request(OFFLINE_URL, { credentials: "omit" }));
    if (offline.ok) await cache.put(OFFLINE_URL, offline);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith("heitje-shell-") && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Network only; the offline page when the network fails.
    event.respondWith(fetch(request).catch(async () => (await caches.match(OFFLINE_URL)) || Response.error()));
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
  // Everything else (API answers, wallet fragments) goes to the network untouched.
});
{% endautoescape %}
