/* Small helpers of the payment pages; each page works without them.
   - Keypad: <div data-keypad="ID of the amount input" hidden> with buttons data-key="1" ...,
     data-key="." for the decimal sign and data-key="back" to delete; shown once this runs.
   - Countdown: <p data-countdown data-seconds="57" data-text="Valid for %s s"
     data-expired="..."> counts down each second (from the server's figure, so the phone's
     clock does not matter). htmx replaces the code before it runs out.
   - Print: <button data-print hidden> prints the page (posters, voucher sheets). */
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
    });
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
          ? (node.dataset.text || "%s").replace("%s", String(left))
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
  }

  init(document);
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
