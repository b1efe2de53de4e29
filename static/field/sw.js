/* Service worker of the field pages (served at /field/sw.js, scope /field/).
   Pages: network first, the last copy on the phone when there is no network,
   so that a household opened before can still get a visit logged offline.
   Static files: from the phone, refreshed in the background.
   Visits waiting to be sent live in the pages' outbox (field.js), not here;
   the offline page shows that outbox and sends it when the network returns. */
"use strict";
var VERSION = "field-v4";  // v4: the static files by the pages' own (hashed) names; v3: scan.js and the QR decoder
var STATIC_CACHE = "field-static-" + VERSION;
var PAGE_CACHE = "field-pages";
var SCOPE = new URL(self.registration.scope).pathname;  // "/field/"
var PARAMS = new URL(self.location).searchParams;
var STATIC = PARAMS.get("static") || "/static/field/";
// The static files as the pages name them (field.js passes the page's data-keep: hashed names in
// production, already in the browser's HTTP cache for those the page loaded); plain names otherwise.
var KEEP = (PARAMS.get("keep") || "").split(" ").filter(function (path) { return path.indexOf(STATIC) === 0; });
if (!KEEP.length) KEEP = ["field.css", "field.js", "htmx.min.js", "scan.js", "vendor/jsQR.js"].map(function (name) { return STATIC + name; });
var OFFLINE = SCOPE + "offline/";

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE)
      .then(function (cache) {
        return cache.addAll(KEEP.concat([OFFLINE]));
      })
      .then(function () { return self.skipWaiting(); })
  );
});

// The copies of static files this version does not keep: a deploy gives the files new hashed
// names (so a new worker), and the old names would otherwise stay on the phone for good.
function dropStaticNotKept() {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(requests.filter(function (request) {
        var path = new URL(request.url).pathname;
        return path.indexOf(STATIC) === 0 && KEEP.indexOf(path) === -1;
      }).map(function (request) { return cache.delete(request); }));
    });
  });
}

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("field-static-") === 0 && name !== STATIC_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); }).then(dropStaticNotKept)  // the pages first, then tidy up
  );
});

function fromNetworkThenPhone(request) {
  return fetch(request).then(function (response) {
    if (response.ok && response.type === "basic" && !response.redirected) {
      var copy = response.clone();
      caches.open(PAGE_CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request, {ignoreVary: true}).then(function (kept) {
      if (kept) return kept;
      // The signed-in collector's offline page (with the outbox, kept by field.js), else the one installed.
      return caches.open(PAGE_CACHE).then(function (cache) { return cache.match(OFFLINE, {ignoreVary: true}); })
        .then(function (own) { return own || caches.match(OFFLINE, {ignoreVary: true}); });
    });
  });
}

function fromPhoneThenNetwork(request) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request).then(function (kept) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      }).catch(function (error) {
        if (kept) return kept;
        throw error;
      });
      return kept || fresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf(STATIC) === 0) {
    event.respondWith(fromPhoneThenNetwork(request));
  } else if (request.mode === "navigate" && url.pathname.indexOf(SCOPE) === 0) {
    event.respondWith(fromNetworkThenPhone(request));
  }
});
