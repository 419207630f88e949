// Registers the wallet's service worker (it caches the shell only, never money data).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !("serviceWorker" in navigator)) return;
  window.addEventListener("load", function () {
    navigator.serviceWorker
      .register(script.dataset.sw, { scope: script.dataset.scope })
      .catch(function () { /* the wallet works without it */ });
  });
})();
