/* The wallet's small helpers; every page works without them.
   - Installs the wallet's service worker (offline shell), when the script tag names it.
   - Pay (#pay-live holding #pay-code, #pay-problem): a code whose time ran out is hidden, not
     left on screen; a failed refresh (no network, a server error, a timeout, a signed-out
     session) shows a message within a few seconds instead of "getting a new code" forever.
     "Show this code at the till" (#pay-instructions) is shown only while a live code is on
     screen: not beside an expired code, a refusal or the shop's request to confirm ("Paying
     more?" also steps aside while the shop's request is open). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (script && script.dataset.sw && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(script.dataset.sw, { scope: script.dataset.scope }).catch(function () {});
  }

  var live = document.getElementById("pay-live");
  var problem = document.getElementById("pay-problem");
  if (!live || !problem) return;
  var failing = false;
  var instructions = document.getElementById("pay-instructions");
  var more = document.getElementById("pay-more");

  function instruct() {
    var card = document.getElementById("pay-code");
    var confirming = !!card && card.classList.contains("pay-confirm");
    if (instructions) {
      instructions.hidden = !card || confirming || card.classList.contains("pay-card--expired");
    }
    if (more) more.hidden = confirming;
  }

  function say(kind) {
    problem.dataset.state = kind;
    problem.textContent = problem.dataset[kind] || "";
    if (kind === "signedOut" && problem.dataset.login) {
      var link = document.createElement("a");
      link.href = problem.dataset.login;
      link.id = "pay-sign-in";
      link.className = "button button--block";
      link.textContent = problem.dataset.signIn || "";
      problem.appendChild(document.createTextNode(" "));
      problem.appendChild(link);
    }
    problem.hidden = false;
  }

  function fine() {
    failing = false;
    problem.hidden = true;
    problem.textContent = "";
    delete problem.dataset.state;
  }

  function expire(card) {
    card.classList.add("pay-card--expired");
    var note = card.querySelector("#pay-expired");
    if (note) note.hidden = false;
    if (failing && problem.dataset.state !== "signedOut") say("expired");
    instruct();
  }

  function watch(scope) {
    var card = scope.id === "pay-code" ? scope : scope.querySelector && scope.querySelector("#pay-code");
    if (!card || card.dataset.payWatched) return;
    card.dataset.payWatched = "1";
    var deadline = Date.now() + 1000 * parseInt(card.dataset.paySeconds || "0", 10);
    (function tick() {
      if (!card.isConnected) return;
      if (Date.now() >= deadline) expire(card);
      else window.setTimeout(tick, 500);
    })();
  }

  function failed(kind) {
    failing = true;
    var card = document.getElementById("pay-code");
    say(card && card.classList.contains("pay-card--expired") ? "expired" : kind);
  }

  document.body.addEventListener("htmx:sendError", function () { failed(navigator.onLine ? "server" : "offline"); });
  document.body.addEventListener("htmx:timeout", function () { failed(navigator.onLine ? "server" : "offline"); });
  document.body.addEventListener("htmx:responseError", function () { failed("server"); });
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var login = (problem.dataset.login || "").split("?")[0];
    if (xhr && login && xhr.responseURL && new URL(xhr.responseURL).pathname === login) {
      // The session ended: never put the sign-in page inside the Pay card.
      // The code on screen still works until its time runs out; then it goes as any other.
      event.detail.shouldSwap = false;
      failing = true;
      say("signedOut");
    }
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (!event.detail.successful || !xhr) return;
    var login = (problem.dataset.login || "").split("?")[0];
    if (xhr.responseURL && new URL(xhr.responseURL).pathname === login) return;
    fine();
  });
  window.addEventListener("offline", function () { failed("offline"); });
  document.body.addEventListener("htmx:load", function (event) { watch(event.target); instruct(); });
  watch(live);
  instruct();
})();
