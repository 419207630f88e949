/* Installs the wallet's service worker (offline shell); the wallet works without it. */
(function () {
  var script = document.currentScript;
  if (!script || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register(script.dataset.sw, { scope: script.dataset.scope }).catch(function () {});
})();
