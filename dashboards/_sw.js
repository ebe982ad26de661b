/* Children's Services Insight's service worker: the app's static files, fetched while a person signs in.

   The server puts the list before this (self.CSI_PRECACHE = {version, urls}; dashboards/_swcache.py).
   Installing fetches those files into a cache named by the version. The worker answers only GET
   requests for those exact URLs, from that cache; everything else goes to the network untouched,
   most of it without waking the worker (routes). It never stores a response it was not listed: no
   page, layout, callback answer or export. */
"use strict";
var PRECACHE = self.CSI_PRECACHE || {version: "none", urls: []};
var CACHE = "csi-static-" + PRECACHE.version;
var LISTED = new Set(PRECACHE.urls.map(function (u) { return new URL(u, self.location.origin).href; }));

function routes(event) {
  // Pages, layouts, callbacks and exports: straight to the network, the worker not involved.
  var statics = {or: [{urlPattern: new URLPattern({pathname: "/_dash-component-suites/*"})},
                      {urlPattern: new URLPattern({pathname: "/assets/*"})}]};
  try {  // the listed files straight from this version's cache (a miss goes to the network)
    event.addRoutes([{condition: statics, source: {cacheName: CACHE}}, {condition: {not: statics}, source: "network"}]);
  } catch (e) {
    try { event.addRoutes([{condition: {requestMode: "navigate"}, source: "network"}]); } catch (e2) { /* handler only */ }
  }
}

function fetchListed(url) {
  // Low priority: a person who signs in before this is done gets the page's own requests first.
  return fetch(url, {credentials: "same-origin", redirect: "error", priority: "low"}).then(function (response) {
    if (!response.ok || response.type !== "basic") { throw new Error(url + ": " + response.status); }
    return response;
  });
}

// Stored without the compiled code Chromium would otherwise make of every function of a script put
// here during install: loading that back took longer than compiling, function by function, what a
// page runs (bench/chromium.py). The page's first run leaves a lean code cache, as the HTTP cache does.
function withHint(response) {
  var headers = new Headers(response.headers);
  headers.set("x-CacheStorageCodeCacheHint", "none");
  return new Response(response.body, {status: response.status, statusText: response.statusText, headers: headers});
}

self.addEventListener("install", function (event) {
  if (event.addRoutes && self.URLPattern) { routes(event); }
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(PRECACHE.urls.map(function (url) {
      return fetchListed(url).then(function (response) { return cache.put(url, withHint(response)); });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || !LISTED.has(request.url)) { return; }  // the network, as without a worker
  event.respondWith(caches.open(CACHE).then(function (cache) {
    return cache.match(request.url).then(function (hit) { return hit || fetch(request); });
  }));
});
