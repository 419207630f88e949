/* Photos: see below. "Use my location": buttons with data-geo-lat / data-geo-lon (ids of the inputs to fill) ask
   the browser for the position; with data-geo-submit (a form id) the form is then sent, so the
   tasks list comes back nearest first; with data-geo-result (an element id) the position is
   confirmed in words ("Location added, accurate to about 12 m"). Without JavaScript or geolocation the buttons stay
   hidden and the pages work without them. */
(function () {
  "use strict";
  // Photos: "Add photos" (a label in the page's words) opens the phone's picker, the gallery or
  // the camera; the names chosen are said under it.
  document.querySelectorAll("[data-photo-field]").forEach(function (box) {
    var input = box.querySelector("input[type=file]");
    var chosen = box.querySelector(".photo-chosen");
    if (!input || !chosen) return;
    box.classList.add("photo-field--ready");
    input.addEventListener("change", function () {
      var names = Array.prototype.map.call(input.files || [], function (file) { return file.name; });
      chosen.textContent = names.length
        ? (chosen.dataset.chosen || "%s").replace("%s", names.join(", "))
        : chosen.dataset.none || "";
    });
  });
  if (!("geolocation" in navigator)) return;
  document.querySelectorAll("button[data-geo-lat]").forEach(function (button) {
    var lat = document.getElementById(button.dataset.geoLat);
    var lon = document.getElementById(button.dataset.geoLon);
    var error = document.getElementById(button.dataset.geoError || "");
    var result = document.getElementById(button.dataset.geoResult || "");
    if (!lat || !lon) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      if (error) error.hidden = true;
      if (result && button.dataset.geoBusy) result.textContent = button.dataset.geoBusy;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          lat.value = position.coords.latitude.toFixed(6);
          lon.value = position.coords.longitude.toFixed(6);
          button.disabled = false;
          if (result) {
            var metres = String(Math.max(1, Math.round(position.coords.accuracy || 0)));
            result.textContent = (result.dataset.found || "").replace("%s", metres);
          }
          var form = document.getElementById(button.dataset.geoSubmit || "");
          if (form) form.submit();
        },
        function () {
          button.disabled = false;
          if (result) result.textContent = result.dataset.none || "";
          if (error) {
            error.textContent = error.dataset.denied || "";
            error.hidden = false;
          }
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  });
})();
