/* Registers the app's service worker (/csi-sw.js: dashboards/_swcache.py), which fetches the app's
   static files while a person signs in. Loaded by the sign-in page and, as an asset, by every app
   page (the browser then checks for a newer worker on each visit). */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !window.isSecureContext) { return; }
  function register() {
    navigator.serviceWorker.register("/csi-sw.js", {scope: "/", updateViaCache: "none"}).catch(function () {
      /* no worker: the app loads its files from the network, as before */
    });
  }
  if (document.readyState === "complete") { register(); } else { window.addEventListener("load", register); }
})();
