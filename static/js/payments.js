/* Small helpers of the payment pages; each page works without them.
   - Keypad: <div data-keypad="ID of the amount input" hidden> with buttons data-key="1" ...,
     data-key="." for the decimal sign and data-key="back" to delete; shown once this runs.
   - Countdown: <p data-countdown data-seconds="57" data-text="Still valid for %s."
     data-expired="..."> counts down each second in minutes and seconds ("0:57"), from the
     server's figure, so the phone's clock does not matter. htmx replaces the code in time.
   - Print: <button data-print hidden> prints the page (posters, voucher sheets).
   - Keypad fields get inputmode="none": the on-screen keypad types, the phone keyboard stays
     away (without this script the field is a plain decimal field).
   - Results (data-result): the "next sale" button gets the focus; "Try again"
     (data-result-close) closes a refusal and leaves what was typed.
   - Kept amount: a form with data-keep-amount keeps its amount in sessionStorage (this tab
     only; never a code), so it survives signing in again after the session ended. Cleared
     once paid or when the next sale starts.
   - Network: when htmx cannot reach the server, or the server fails, [data-net-error] says
     so within seconds (htmx keeps the form as typed); forms with data-offline-guard are not
     sent while the browser knows it is offline. An htmx answer that is the sign-in page (the
     session ended) sends the whole page to sign-in and back here. */
(function () {
  "use strict";

  function keypads(scope) {
    scope.querySelectorAll("[data-keypad]").forEach(function (pad) {
      if (pad.dataset.keypadReady) return;
      var input = document.getElementById(pad.dataset.keypad);
      if (!input) return;
      pad.dataset.keypadReady = "1";
      pad.hidden = false;
      pad.addEventListener("click", function (event) {
        var button = event.target.closest("button[data-key]");
        if (!button) return;
        var key = button.dataset.key;
        var value = input.value;
        if (key === "back") value = value.slice(0, -1);
        else if (key === ".") {
          if (!/[.,]/.test(value)) value = (value || "0") + button.textContent.trim();
        } else if (!/[.,]\d\d$/.test(value) && value.replace(/[^0-9]/g, "").length < 9) {
          value = value === "0" ? key : value + key;
        }
        input.value = value;
        input.dispatchEvent(new Event("input", { bubbles: true }));
      });
      input.setAttribute("inputmode", "none");
    });
  }

  var KEPT = "heitje:amount:" + window.location.pathname;

  function keptAmount(scope) {
    var storage;
    try { storage = window.sessionStorage; } catch (error) { return; }
    if (scope.querySelector && scope.querySelector("#result-paid, #request-waiting")) {
      storage.removeItem(KEPT);
    }
    scope.querySelectorAll("form[data-keep-amount]").forEach(function (form) {
      var input = form.querySelector("input[name=amount]");
      if (!input || form.dataset.keepReady) return;
      form.dataset.keepReady = "1";
      var saved = storage.getItem(KEPT);
      if (!input.value && saved) input.value = saved;
      input.addEventListener("input", function () {
        if (input.value) storage.setItem(KEPT, input.value);
        else storage.removeItem(KEPT);
      });
    });
    scope.querySelectorAll("#next-sale").forEach(function (link) {
      link.addEventListener("click", function () { storage.removeItem(KEPT); });
    });
  }

  function results(scope) {
    var nodes = scope.matches && scope.matches("[data-result]")
      ? [scope] : Array.prototype.slice.call(scope.querySelectorAll("[data-result]"));
    nodes.forEach(function (result) {
      var close = result.querySelector("[data-result-close]");
      if (close) {
        close.hidden = false;
        close.addEventListener("click", function () {
          var form = document.querySelector("form[data-keep-amount]");
          result.remove();
          var field = form && form.querySelector("input[name=code]");
          if (field) field.focus();
        });
      }
      var next = result.querySelector(".result__next");
      if (next && !next.hidden) next.focus();
    });
  }

  function netMessage(kind) {
    document.querySelectorAll("[data-net-error]").forEach(function (box) {
      if (!kind) {
        box.hidden = true;
        box.textContent = "";
        return;
      }
      box.textContent = box.dataset["msg" + kind] || "";
      box.hidden = false;
    });
  }

  if (window.htmx) {
    if (!window.htmx.config.timeout) window.htmx.config.timeout = 8000;
    // htmx copies an old element's style attribute onto the new one while settling; the
    // browser may have put an empty one on form fields (autofill), and the CSP refuses it.
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
  }
  // A session that ended: whatever htmx asked was answered by the sign-in page. Go there as a
  // whole page (with its `next`) instead of swapping a sign-in form into this one.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var login = (document.querySelector("[data-login-url]") || {}).dataset;
    var loginPath = (login && login.loginUrl) || "/login/";
    if (!xhr || !xhr.responseURL) return;
    // The Pay page says so itself and keeps the code on screen until its time runs out.
    if (document.getElementById("pay-problem")) return;
    var answered = new URL(xhr.responseURL, window.location.href);
    if (answered.origin === window.location.origin && answered.pathname === loginPath) {
      event.detail.shouldSwap = false;
      window.location.assign(loginPath + "?next=" + encodeURIComponent(window.location.pathname));
    }
  });
  document.addEventListener("htmx:sendError", function () { netMessage("Offline"); });
  document.addEventListener("htmx:timeout", function () { netMessage("Offline"); });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : 0;
    netMessage(status === 401 || status === 403 ? "Session" : "Server");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) netMessage("");
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-offline-guard]") && navigator.onLine === false) {
      event.preventDefault();
      netMessage("Offline");
    }
  }, true);
  window.addEventListener("online", function () { netMessage(""); });

  // Minutes and seconds, as a clock reads them: 272 -> "4:32" (never "272 seconds").
  function clock(seconds) {
    var rest = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function countdowns(scope) {
    scope.querySelectorAll("[data-countdown]").forEach(function (node) {
      if (node.dataset.countdownReady) return;
      node.dataset.countdownReady = "1";
      var deadline = Date.now() + 1000 * parseInt(node.dataset.seconds || "0", 10);
      function tick() {
        if (!node.isConnected) return;
        var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
        node.textContent = left > 0
          ? (node.dataset.text || "%s").replace("%s", clock(left))
          : node.dataset.expired || "";
        if (left > 0) window.setTimeout(tick, 1000);
      }
      tick();
    });
  }

  function printButtons(scope) {
    scope.querySelectorAll("button[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  function init(scope) {
    keypads(scope);
    countdowns(scope);
    printButtons(scope);
    keptAmount(scope);
    results(scope);
  }

  init(document);
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
