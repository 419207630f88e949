/* Camera QR scanning without an app, for the till and the wallet.

   Markup (see templates/payments/_scanner.html):
     <div data-scanner data-target="ID of the input to fill" data-jsqr="URL of jsQR.js"
          data-msg-starting="..." data-msg-looking="..." data-msg-found="..."
          data-msg-denied="..." data-msg-unavailable="...">
       <button type="button" data-scanner-start hidden>...</button>
       <button type="button" data-scanner-stop hidden>...</button>
       <video data-scanner-video playsinline muted hidden></video>
       <p data-scanner-status role="status"></p>
     </div>

   Start asks for the back camera (facingMode "environment"). Frames are decoded by the
   browser's own BarcodeDetector where it exists and reads QR codes (Android Chrome, recent
   Safari); otherwise by the vendored jsQR (static/vendor/jsqr), loaded only then. The first
   code found goes into the target input and its form is submitted (requestSubmit, so htmx
   forms work too); the camera is switched off. The server checks everything the code says;
   nothing here is trusted. Without a camera or JavaScript the typed code still works. */
(function () {
  "use strict";

  var FRAME_MS = 120; // about 8 frames a second: quick enough, light on a phone's battery
  var MAX_SIDE = 800; // frames are scaled down to this before jsQR reads them
  var jsqrLoading = null;

  function loadJsqr(url) {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    if (!jsqrLoading) {
      jsqrLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = url;
        script.async = true;
        script.onload = function () {
          if (window.jsQR) resolve(window.jsQR);
          else reject(new Error("jsQR missing"));
        };
        script.onerror = function () {
          jsqrLoading = null;
          reject(new Error("jsQR did not load"));
        };
        document.head.appendChild(script);
      });
    }
    return jsqrLoading;
  }

  function nativeDetector() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    var formats = window.BarcodeDetector.getSupportedFormats
      ? window.BarcodeDetector.getSupportedFormats()
      : Promise.resolve(["qr_code"]);
    return formats.then(
      function (list) {
        if (list.indexOf("qr_code") === -1) return null;
        var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return function (video) {
          return detector.detect(video).then(function (codes) {
            return codes.length ? codes[0].rawValue : null;
          });
        };
      },
      function () {
        return null;
      }
    );
  }

  function jsqrDetector(url) {
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    return loadJsqr(url).then(function (jsQR) {
      return function (video) {
        var width = video.videoWidth;
        var height = video.videoHeight;
        if (!width || !height) return Promise.resolve(null);
        var scale = Math.min(1, MAX_SIDE / Math.max(width, height));
        canvas.width = Math.round(width * scale);
        canvas.height = Math.round(height * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var found = jsQR(image.data, image.width, image.height, {
          inversionAttempts: "dontInvert",
        });
        return Promise.resolve(found && found.data ? found.data : null);
      };
    });
  }

  function detector(url) {
    return nativeDetector().then(function (native) {
      return native || jsqrDetector(url);
    });
  }

  function setup(root) {
    var start = root.querySelector("[data-scanner-start]");
    var stop = root.querySelector("[data-scanner-stop]");
    var video = root.querySelector("[data-scanner-video]");
    var status = root.querySelector("[data-scanner-status]");
    var target = document.getElementById(root.dataset.target || "");
    if (!start || !video || !target) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      // No camera API (an old browser, or a page not served over HTTPS): typing still works.
      if (status) status.textContent = root.dataset.msgUnavailable || "";
      return;
    }
    var stream = null;
    var timer = null;
    var busy = false;

    function say(message) {
      if (status) status.textContent = message || "";
    }

    function halt() {
      if (timer) window.clearTimeout(timer);
      timer = null;
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      video.srcObject = null;
      video.hidden = true;
      start.hidden = false;
      if (stop) stop.hidden = true;
      root.classList.remove("scanner--on");
    }

    function found(text) {
      halt();
      say(root.dataset.msgFound || "");
      target.value = text;
      target.dispatchEvent(new Event("input", { bubbles: true }));
      var form = target.form;
      if (!form) return;
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    }

    function loop(read) {
      if (!stream) return;
      if (busy || video.readyState < 2) {
        timer = window.setTimeout(function () { loop(read); }, FRAME_MS);
        return;
      }
      busy = true;
      read(video).then(
        function (text) {
          busy = false;
          if (text) found(text);
          else timer = window.setTimeout(function () { loop(read); }, FRAME_MS);
        },
        function () {
          busy = false;
          timer = window.setTimeout(function () { loop(read); }, FRAME_MS);
        }
      );
    }

    start.hidden = false;
    start.addEventListener("click", function () {
      if (stream) return;
      say(root.dataset.msgStarting || "");
      start.hidden = true;
      navigator.mediaDevices
        .getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          video.setAttribute("playsinline", "");
          video.muted = true;
          video.hidden = false;
          if (stop) stop.hidden = false;
          root.classList.add("scanner--on");
          return video.play().then(function () {
            return detector(root.dataset.jsqr);
          });
        })
        .then(function (read) {
          if (!stream) return;
          say(root.dataset.msgLooking || "");
          loop(read);
        })
        .catch(function () {
          halt();
          say(root.dataset.msgDenied || "");
        });
    });
    if (stop) stop.addEventListener("click", function () { halt(); say(""); });
    window.addEventListener("pagehide", halt);
    document.addEventListener("htmx:beforeSwap", function (event) {
      if (event.detail && event.detail.target && event.detail.target.contains(root)) halt();
    });
  }

  function init(scope) {
    (scope || document).querySelectorAll("[data-scanner]").forEach(function (root) {
      if (root.dataset.scannerReady) return;
      root.dataset.scannerReady = "1";
      setup(root);
    });
  }

  init(document);
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
