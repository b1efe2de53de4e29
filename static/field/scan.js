/* Scanning the QR code of a chip citizen ID card (CCCD) into a member's fields.
   The camera's frames are read on the phone — by the browser's BarcodeDetector where it
   reads QR codes, else by jsQR (vendor/jsQR.js, loaded on first use) — and nothing of the
   image is sent anywhere: only the fields filled are, when the form is saved.
   The card's QR holds "ID|old ID|full name|birth date DDMMYYYY|sex|address|issue date". */
(function () {
  "use strict";

  // Member.Sex's values (households/models.py) for the card's "Nam" / "Nữ".
  var SEX = {"nam": "M", "nữ": "F", "nu": "F"};

  function isoDate(text) {
    var m = /^(\d{2})(\d{2})(\d{4})$/.exec(text || "");
    if (!m) return "";
    var day = Number(m[1]), month = Number(m[2]), year = Number(m[3]);
    var d = new Date(Date.UTC(year, month - 1, day));
    if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return "";
    return m[3] + "-" + m[2] + "-" + m[1];
  }

  /* The card's text → {citizenId, oldId, fullName, birthDate (YYYY-MM-DD or ""), sex ("M", "F" or ""),
     address, issuedOn (YYYY-MM-DD or "")}, or null when it is not a citizen ID card's QR code. */
  function parseCccd(text) {
    if (typeof text !== "string") return null;
    var parts = text.normalize("NFC").replace(/^\uFEFF/, "").trim().split("|").map(function (part) {
      return part.replace(/\s+/g, " ").trim();
    });
    if (parts.length < 6 || !/^\d{12}$/.test(parts[0]) || !parts[2] || /\d/.test(parts[2])) return null;
    return {
      citizenId: parts[0], oldId: /^\d{9}$/.test(parts[1]) ? parts[1] : "", fullName: parts[2],
      birthDate: isoDate(parts[3]), sex: SEX[parts[4].toLowerCase()] || "", address: parts[5],
      issuedOn: isoDate(parts[6])
    };
  }

  // --- filling the form -------------------------------------------------------
  function fieldIn(scope, name) {  // "citizen_id" on its own or in Register's member forms ("m-0-citizen_id")
    return scope.querySelector("[name='" + name + "'], [name$='-" + name + "']");
  }
  function put(input, value) {
    if (!input || !value) return;
    input.value = value;
    input.dispatchEvent(new Event("input", {bubbles: true}));
    input.dispatchEvent(new Event("change", {bubbles: true}));
  }
  function fill(button, person) {
    var scope = button.closest("fieldset") || button.form, form = button.form;
    put(fieldIn(scope, "citizen_id"), person.citizenId);
    put(fieldIn(scope, "full_name"), person.fullName);
    put(fieldIn(scope, "date_of_birth"), person.birthDate);
    put(fieldIn(scope, "sex"), person.sex);
    var address = form && form.elements.namedItem("address");  // the household's, when this form has one
    if (address && !address.value.trim()) put(address, person.address);
  }

  function say(text, isError) {
    var box = document.getElementById("notice");
    if (!box) return;
    box.textContent = text;
    box.className = isError ? "msg error" : "msg";
    box.hidden = false;
  }

  // --- reading QR codes ----------------------------------------------------------
  function loadScript(src) {
    if (window.jsQR) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function withJsQR(button) {
    return loadScript(document.body.dataset.jsqr || document.body.dataset["static"] + "vendor/jsQR.js").then(function () {
      var canvas = document.createElement("canvas");
      var context = canvas.getContext("2d", {willReadFrequently: true});
      button.dataset.decoder = "jsqr";
      return function (video) {
        var width = video.videoWidth, height = video.videoHeight;
        if (!width || !height) return Promise.resolve(null);
        var scale = Math.min(1, 800 / Math.max(width, height));  // enough for the card's code, quick on a cheap phone
        canvas.width = Math.round(width * scale);
        canvas.height = Math.round(height * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var code = window.jsQR(image.data, image.width, image.height, {inversionAttempts: "dontInvert"});
        return Promise.resolve(code ? code.data : null);
      };
    });
  }

  function decoder(button) {
    if (!("BarcodeDetector" in window)) return withJsQR(button);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") < 0) return withJsQR(button);
      var detector = new window.BarcodeDetector({formats: ["qr_code"]});
      button.dataset.decoder = "barcode-detector";
      return function (video) {
        return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      };
    }, function () { return withJsQR(button); });
  }

  // --- the camera ------------------------------------------------------------------
  function scan(button) {
    var texts = button.dataset;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { say(texts.textNoCamera, true); return; }
    var overlay = document.createElement("div"), video = document.createElement("video");
    var hint = document.createElement("p"), cancel = document.createElement("button");
    overlay.className = "scan";
    overlay.setAttribute("role", "dialog");
    video.setAttribute("playsinline", "");
    video.muted = true;
    hint.textContent = texts.textAim;
    hint.setAttribute("aria-live", "polite");
    cancel.type = "button";
    cancel.className = "secondary";
    cancel.textContent = texts.textCancel;
    overlay.append(hint, video, cancel);
    document.body.appendChild(overlay);

    var stream = null, stopped = false;
    function stop() {
      stopped = true;
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      overlay.remove();
    }
    cancel.addEventListener("click", function () { stop(); button.focus(); });

    function look(read) {
      if (stopped) return;
      read(video).then(function (text) {
        if (stopped) return;
        if (text !== null) {
          var person = parseCccd(text);
          if (person) {
            stop();
            fill(button, person);
            say(texts.textRead);
            button.scrollIntoView({block: "start"});
            return;
          }
          hint.textContent = texts.textNotCard;
        }
        setTimeout(function () { look(read); }, 150);
      }, function () { setTimeout(function () { look(read); }, 300); });
    }

    var camera = navigator.mediaDevices.getUserMedia(
      {video: {facingMode: {ideal: "environment"}, width: {ideal: 1280}, height: {ideal: 720}}, audio: false});
    Promise.all([camera, decoder(button)]).then(function (found) {
      stream = found[0];
      if (stopped) { stop(); return; }  // cancelled while the camera opened
      video.srcObject = stream;
      return video.play().then(function () { look(found[1]); });
    }).catch(function () {
      camera.then(function (opened) { opened.getTracks().forEach(function (track) { track.stop(); }); }, function () {});
      stop();
      say(texts.textNoCamera, true);
    });
  }

  document.querySelectorAll("[data-scan-cccd]").forEach(function (button) {
    button.addEventListener("click", function () { scan(button); });
  });

  window.fieldScan = {parseCccd: parseCccd};  // for the browser tests
})();
