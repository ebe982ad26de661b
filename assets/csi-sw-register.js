/* Registers the app's service worker (/csi-sw.js: dashboards/_swcache.py), which fetches the app's
   static files while a person signs in. Loaded by the sign-in page and, as an asset, by every app
   page (so the browser checks for a newer worker on each visit).

   The sign-in page registers half a second after it has loaded: a person is still typing, and a
   saved password submitted at once is not slowed by the worker's fetching. An app page (a browser
   that signed in before its worker was ready, or a changed app) registers once it has had 10 s to
   draw, when the browser is idle. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !window.isSecureContext) { return; }
  var signIn = !!document.querySelector("form[action^='/login']");
  function register() {
    navigator.serviceWorker.register("/csi-sw.js", {scope: "/", updateViaCache: "none"}).catch(function () {
      /* no worker: the app loads its files from the network, as before */
    });
  }
  var timer = null;
  function start() {
    timer = window.setTimeout(function () {
      if (window.requestIdleCallback) { window.requestIdleCallback(register, {timeout: 2000}); } else { register(); }
    }, signIn ? 500 : 10000);
  }
  // Signed in before then: nothing is started while the app's first page loads.
  document.addEventListener("submit", function () { window.clearTimeout(timer); }, true);
  if (document.readyState === "complete") { start(); } else { window.addEventListener("load", start); }
})();
