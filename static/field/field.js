/* The field pages' few behaviours, no framework:
   - the outbox: a visit is kept on the phone (localStorage) until the server
     has it, so a visit logged without network is sent when it returns (all
     those waiting in one request); its client_id makes a second sending harmless;
   - a fresh client_id per form, made on the phone;
   - location on request, and fields shown only when they apply. */
(function () {
  "use strict";
  var body = document.body;
  var user = body.dataset.user;
  var outbox = document.getElementById("outbox");
  var KEY = "outreach-field-outbox-" + user;
  var sending = false;

  if ("serviceWorker" in navigator && body.dataset.sw) {
    // The service worker keeps the static files by the names the pages ask for (data-keep:
    // field.<hash>.css in production), not plain names no page uses: those came over slow 3G
    // a second time at install, and offline the pages would not find them by their own names.
    navigator.serviceWorker.register(body.dataset.sw + "?static=" + encodeURIComponent(body.dataset["static"]) +
      "&keep=" + encodeURIComponent(body.dataset.keep || ""), {scope: body.dataset.sw.replace(/sw\.js$/, "")})
      .catch(function () { /* pages still work online */ });
  }
  if (body.dataset.page === "login" && window.caches) {
    // A shared phone: the next person must not find the last one's pages.
    caches.delete("field-pages");
  }
  if (user && body.dataset.page !== "offline" && window.caches && navigator.onLine) {
    // The collector's own "no network" page (header, navigation, outbox), shown by
    // the service worker for a page not on the phone; gone at the next sign-in.
    caches.open("field-pages").then(function (cache) {
      return cache.match(body.dataset.offline).then(function (kept) { return kept || cache.add(body.dataset.offline); });
    }).catch(function () { /* tried again on the next page */ });
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function notice(text, isError) {
    var box = document.getElementById("notice");
    if (!box || !text) return;
    box.textContent = text;
    box.className = isError ? "msg error" : "msg";
    box.hidden = false;
  }

  // --- the outbox ------------------------------------------------------------
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; }
  }
  function save(items) {
    localStorage.setItem(KEY, JSON.stringify(items));
    render(items);
  }
  function without(id) {
    return load().filter(function (item) { return item.id !== id; });
  }
  function render(items) {
    if (!outbox) return;
    items = items || load();
    outbox.hidden = items.length === 0;
    outbox.querySelector("[data-outbox-count]").textContent = items.length;
    var list = outbox.querySelector("[data-outbox-list]");
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = item.label + (item.refused ? " — " + outbox.dataset.textRefused + " " + item.refused : "");
      if (item.refused) {
        var discard = document.createElement("button");
        discard.type = "button";
        discard.className = "secondary";
        discard.textContent = outbox.dataset.textDiscard;
        discard.addEventListener("click", function () { save(without(item.id)); });
        li.appendChild(discard);
      }
      list.appendChild(li);
    });
  }
  function csrfToken() {
    var cookie = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    var meta = document.querySelector("meta[name=csrf-token]");
    return cookie ? decodeURIComponent(cookie[1]) : (meta ? meta.content : "");
  }
  function messagesOf(errors) {
    return Object.keys(errors || {}).map(function (k) { return errors[k].join(" "); }).join(" ");
  }

  // Sends one item; resolves to {state: "sent"|"invalid"|"kept"|"sign-in", body}.
  function send(item) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); }, 20000);
    return fetch(item.url, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken()},
      body: JSON.stringify(item.data), signal: controller && controller.signal
    }).then(function (response) {
      if (response.ok) return response.json().then(function (b) { return {state: "sent", body: b}; });
      if (response.status === 400 || response.status === 404) {
        return response.json().catch(function () { return {}; }).then(function (b) {
          return {state: "invalid", body: b, status: response.status};
        });
      }
      if (response.status === 401 || response.status === 403 || response.type === "opaqueredirect") return {state: "sign-in"};
      return {state: "kept"};
    }, function () { return {state: "kept"}; }).finally(function () { if (timer) clearTimeout(timer); });
  }

  // The waiting visits go in one request (up to BATCH at a time) to the batch URL; each is
  // stored or refused on its own. Resolves to {state: "sent"|"invalid"|"kept"|"sign-in", body}.
  var BATCH = 50;  // as collectors.views.VISITS_PER_BATCH
  function sendBatch(items) {
    var visits = items.map(function (item) {
      var visit = {household: item.household};
      Object.keys(item.data).forEach(function (name) { visit[name] = item.data[name]; });
      return visit;
    });
    return send({url: outbox.dataset.batchUrl, data: {visits: visits}});
  }

  function flush() {
    if (sending || !outbox) return Promise.resolve();
    var pending = load().filter(function (item) { return !item.refused; }).slice(0, BATCH);
    if (!pending.length) return Promise.resolve();
    sending = true;
    return sendBatch(pending).then(function (result) {
      sending = false;
      if (result.state === "sent") {
        var answers = {}, stored = 0;
        result.body.results.forEach(function (answer) { answers[answer.client_id] = answer; });
        var items = load().filter(function (item) {
          var answer = answers[item.id];
          if (answer && answer.errors) item.refused = messagesOf(answer.errors);
          if (answer && !answer.errors) stored += 1;
          return !answer || answer.errors;  // stored (now or before): off the phone
        });
        save(items);
        if (stored) notice(outbox.dataset.textSent);
        if (pending.length === BATCH) return flush();  // more were waiting
      } else if (result.state === "invalid") {
        var refused = messagesOf(result.body && result.body.errors) || String(result.status);
        var ids = pending.map(function (item) { return item.id; });
        save(load().map(function (item) {
          if (ids.indexOf(item.id) >= 0) item.refused = refused;
          return item;
        }));
      } else if (result.state === "sign-in") {
        notice(outbox.dataset.textSignIn, true);
      }  // no network: tried again later
    });
  }

  // --- forms that go through the outbox ----------------------------------------
  function showErrors(form, errors) {
    form.querySelectorAll("[data-error-for]").forEach(function (p) {
      var messages = errors[p.dataset.errorFor];
      p.textContent = messages ? messages.join(" ") : "";
      p.hidden = !messages;
      var field = p.closest(".field");
      if (field) field.classList.toggle("invalid", !!messages);
    });
    var first = form.querySelector(".invalid");
    if (first) first.scrollIntoView({block: "center"});
  }

  function freshId(form) {
    var input = form.querySelector("input[name=client_id]");
    if (input) input.value = newId();
  }

  document.querySelectorAll("form").forEach(function (form) {
    if (form.querySelector("input[name=client_id]")) freshId(form);
  });

  document.querySelectorAll("form[data-outbox]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = {};
      new FormData(form).forEach(function (value, name) {
        if (name === "csrfmiddlewaretoken") return;
        // Boxes of one list (who was helped) go as a JSON list; [] when none is ticked.
        if (form.querySelector("[data-list-field=" + name + "]")) (data[name] = data[name] || []).push(value);
        else data[name] = value;
      });
      form.querySelectorAll("[data-list-field]").forEach(function (list) {
        var name = list.dataset.listField;
        if (!data[name]) data[name] = [];
      });
      var checked = form.querySelector("input[name=outcome]:checked");
      var item = {
        id: data.client_id, url: form.action, data: data, household: Number(form.dataset.household),
        label: form.dataset.label + (checked ? " · " + checked.parentNode.textContent.trim() : "")
      };
      save(without(item.id).concat([item]));  // kept first: nothing is lost if the page closes now
      send(item).then(function (result) {
        if (result.state === "sent") {
          save(without(item.id));
          sessionStorage.setItem("field-notice", outbox.dataset.textSaved);
          window.location.assign(result.body.next);
        } else if (result.state === "invalid") {
          save(without(item.id));
          showErrors(form, (result.body && result.body.errors) || {});
        } else {
          notice(result.state === "sign-in" ? outbox.dataset.textSignIn : outbox.dataset.textKept, result.state === "sign-in");
          form.reset();
          freshId(form);
          toggleAll();
          window.scrollTo(0, 0);
        }
      });
    });
  });

  // --- location and conditional fields ------------------------------------------------
  // Only with the household's consent: ticking it takes the location, unticking (or a reset
  // after an offline save) forgets it; the button tries again.
  document.querySelectorAll("[data-locate]").forEach(function (button) {
    var form = button.form, consent = form.elements.location_consent;
    function forget() { form.elements.latitude.value = ""; form.elements.longitude.value = ""; }
    function locate() {
      if (consent && !consent.checked) return;
      if (!navigator.geolocation) { notice(button.dataset.unavailable, true); return; }
      navigator.geolocation.getCurrentPosition(function (position) {
        if (consent && !consent.checked) return;  // unticked while the phone looked
        form.elements.latitude.value = position.coords.latitude.toFixed(6);
        form.elements.longitude.value = position.coords.longitude.toFixed(6);
        notice(button.dataset.located);
      }, function () { notice(button.dataset.unavailable, true); }, {timeout: 15000, maximumAge: 60000});
    }
    button.addEventListener("click", locate);
    if (consent) consent.addEventListener("change", function () { if (consent.checked) locate(); else forget(); });
    form.addEventListener("reset", forget);
    if (consent && !consent.checked) forget();  // a location restored by the browser without consent
  });

  // data-show-when="outcome=declined": shown (and required) only when that choice is made.
  function toggleAll() {
    document.querySelectorAll("[data-show-when]").forEach(function (block) {
      var rule = block.dataset.showWhen.split("="), form = block.closest("form");
      var values = rule[1].split(",");
      var chosen = form.querySelector("[name=" + rule[0] + "]:checked, select[name=" + rule[0] + "]");
      var show = !!chosen && values.indexOf(chosen.value) >= 0;
      block.hidden = !show;
      block.querySelectorAll("input, select").forEach(function (input) { input.required = show; });
    });
    var outcome = document.querySelector("input[name=outcome]:checked");
    var followUp = document.querySelector("input[name=follow_up_on]");
    if (followUp) followUp.required = !!outcome && outcome.value === "will_pay";
  }
  document.addEventListener("change", toggleAll);
  toggleAll();

  var pendingNotice = sessionStorage.getItem("field-notice");
  if (pendingNotice) { sessionStorage.removeItem("field-notice"); notice(pendingNotice); }
  render();
  window.addEventListener("online", flush);
  document.querySelectorAll("[data-outbox-send]").forEach(function (button) { button.addEventListener("click", flush); });
  setInterval(flush, 15000);
  flush();
})();
