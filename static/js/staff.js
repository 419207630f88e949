/* The staff review queue and claim page: select all on the page, the count of selected
   claims, and the keyboard shortcuts shown on the claim page (A approve & next, R reject &
   next, J skip). No inline script: the Content-Security-Policy allows none. */
(function () {
  "use strict";

  var all = document.getElementById("select-all");
  var count = document.getElementById("bulk-count");
  var boxes = Array.prototype.slice.call(
    document.querySelectorAll('input[type="checkbox"][name="claims"]')
  );

  function showCount() {
    if (!count) return;
    var n = boxes.filter(function (b) { return b.checked; }).length;
    count.textContent = count.getAttribute("data-template").replace("{n}", String(n));
    if (all) {
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
  }

  if (all) {
    all.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
      showCount();
    });
  }
  boxes.forEach(function (b) { b.addEventListener("change", showCount); });

  var approve = document.getElementById("approve-form");
  var reject = document.getElementById("reject-form");
  var skip = document.getElementById("skip-next");
  var reason = reject ? reject.querySelector("textarea, input[name=reason]") : null;

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  if (reason) {
    reason.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && reason.value.trim()) {
        event.preventDefault();
        reject.requestSubmit();
      }
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key.toLowerCase();
    if (key === "a" && approve) {
      event.preventDefault();
      approve.requestSubmit();
    } else if (key === "r" && reject && reason) {
      event.preventDefault();
      if (reason.value.trim()) reject.requestSubmit();
      else reason.focus();
    } else if (key === "j" && skip) {
      event.preventDefault();
      skip.click();
    }
  });
})();
