// HWD's service worker: the app works offline after the first visit, and a new build reaches
// a returning visitor on the next load, never mixed with files of the old one.
//
// Each build has a version, a hash of its files, which build.py writes below and into
// index.html (<meta name="hwd-build">). This worker caches its build's files together, in the
// cache "hwd-build-VERSION", when it installs. A page is served by one build from start to end:
// - a navigation asks the server for index.html first, so a new deploy shows on the next load
//   (offline, or with no answer within a few seconds, this worker's cached build is used);
// - the version of the build a page started with is remembered by its client id (in a cache,
//   so that it outlives this worker and is seen by the next one), and every request of the page
//   is answered from that version's cache, or from the network while that version is not
//   cached yet (a new build whose worker is still installing);
// - a build's cache is deleted once no open page uses it.
// A page of a build also gives this worker a memory snapshot of Python (pad.js), kept in the
// build's cache beside its files: start_python.mjs starts the next visit from it.
// build.py rewrites the two constants below; the scope is this file's folder (relative URLs).

const VERSION = "dev";
const FILES = ["./", "./index.html"];
const PREFIX = "hwd-build-";
const CACHE = PREFIX + VERSION;
const PAGES = "hwd-pages";  // "./hwd-page/<client id>" -> the version that page runs
const NAVIGATION_TIMEOUT_MS = 4000;
const BUILD_META = /<meta name="hwd-build" content="([\w-]+)">/;
const SNAPSHOT = new URL("./python.snapshot", location).href;

const versions = new Map();  // client id -> version, as in PAGES

self.addEventListener("install", (event) => {
  event.waitUntil(install().then(() => self.skipWaiting()));
});

/** Cache the build's files. */
async function install() {
  const cache = await caches.open(CACHE);
  // no-cache: revalidate with the server, so the HTTP cache cannot hand us an older build's file.
  await cache.addAll(FILES.map(fresh));
}

function fresh(url) {
  return new Request(url, { cache: "no-cache" });
}

/** Keep a Python snapshot made by a page of this build; answer on the port once kept. */
self.addEventListener("message", (event) => {
  const { build, snapshot } = event.data || {};
  const kept = build === VERSION && snapshot instanceof Uint8Array
    ? caches.open(CACHE).then((cache) => cache.put(SNAPSHOT, new Response(snapshot)))
      .then(() => true, () => false)  // false: storage full, say
    : Promise.resolve(false);  // a page of another build: its snapshot would not match
  event.waitUntil(kept.then((ok) => event.ports[0]?.postMessage(ok)));
});

self.addEventListener("activate", (event) => event.waitUntil(cleanUp()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(event));
  } else {
    event.respondWith(serve(request, event.clientId));
  }
});

/** index.html from the server (its build then serves the page), else from this build's cache. */
async function navigate(event) {
  let response = null;
  try {
    response = await withTimeout(fetch(event.request.url, { cache: "no-cache" }));
  } catch {
    // offline, or too slow: this worker's build
  }
  let version = response && response.ok ? buildOf(await response.clone().text()) : null;
  if (!version) {
    const cached = await caches.open(CACHE).then((cache) => cache.match("./"));
    if (cached) {
      response = cached;
      version = VERSION;
    }
  }
  if (!response) return Response.error();
  if (version) await remember(event.resultingClientId, version);
  event.waitUntil(cleanUp(event.resultingClientId));
  return response;
}

/** A request of a page: from the cache of the build the page runs, else from the server. */
async function serve(request, clientId) {
  const name = PREFIX + ((await versionOf(clientId)) || VERSION);
  if (await caches.has(name)) {
    const cached = await caches.open(name).then((cache) => cache.match(request, { ignoreSearch: true }));
    if (cached) return cached;
  }
  // Not made yet: no need to ask the server, which never has one (and "no content", not
  // 404, which the browser's console would show as an error).
  if (request.url === SNAPSHOT) return new Response(null, { status: 204 });
  return fetch(request, { cache: "no-cache" });
}

function buildOf(html) {
  const match = BUILD_META.exec(html);
  return match ? match[1] : null;
}

function withTimeout(promise) {
  return new Promise((resolve, reject) => {
    setTimeout(() => reject(new Error("timeout")), NAVIGATION_TIMEOUT_MS);
    promise.then(resolve, reject);
  });
}

async function remember(clientId, version) {
  if (!clientId) return;
  versions.set(clientId, version);
  const pages = await caches.open(PAGES);
  await pages.put(`./hwd-page/${clientId}`, new Response(version));
}

async function versionOf(clientId) {
  if (!clientId) return null;
  if (!versions.has(clientId)) {
    const stored = await caches.open(PAGES).then((pages) => pages.match(`./hwd-page/${clientId}`));
    versions.set(clientId, stored ? await stored.text() : null);
  }
  return versions.get(clientId);
}

/** Forget closed pages; delete the caches of builds no open page runs (but this one's). */
async function cleanUp(opening = null) {
  const open = new Set((await self.clients.matchAll({ includeUncontrolled: true })).map((c) => c.id));
  if (opening) open.add(opening);
  const pages = await caches.open(PAGES);
  const inUse = new Set([CACHE]);
  for (const request of await pages.keys()) {
    const clientId = request.url.split("/hwd-page/")[1];
    if (open.has(clientId)) {
      inUse.add(PREFIX + (await pages.match(request).then((r) => r.text())));
    } else {
      versions.delete(clientId);
      await pages.delete(request);
    }
  }
  for (const name of await caches.keys()) {
    if (name.startsWith("hwd-") && name !== PAGES && !inUse.has(name)) await caches.delete(name);
  }
}
