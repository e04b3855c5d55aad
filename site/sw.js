// HWD's service worker: after the first visit the app works offline.
//
// Cache-first for the app's own files, all of them cached on install under a cache name that
// changes with their contents, so a new build replaces the old cache as a whole.
// build.py rewrites the two constants below; the scope is this file's folder (relative URLs).

const VERSION = "dev";
const FILES = ["./", "./index.html"];
const CACHE = `hwd-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(FILES))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("hwd-") && name !== CACHE)
          .map((name) => caches.delete(name)),
      ))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== location.origin) return;
  event.respondWith(
    caches.open(CACHE)
      .then((cache) => cache.match(request, { ignoreSearch: true }))
      .then((cached) => cached || fetch(request)),
  );
});
