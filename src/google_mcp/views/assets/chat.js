/* The /chat page: ask the router, decide each held write on its approval card (card.js) in place, and see
   the activity record. Calls only POST /chat, GET /chat/card/{id} and /chat/activity (reads of the person's
   own), and the decision routes the person already has: POST /approve/{id} (session + CSRF) or, for one
   person, POST /confirm/{id} (token + approval key). The conversation and, for one person, the token and key
   live in this tab's sessionStorage only. */
"use strict";
(function () {
  var el = GMV.el;
  var app = document.getElementById("chat-app");
  var mode = app.dataset.mode; // session | token | key
  var CREDS = "google-mcp-chat-creds";
  var LOG = "google-mcp-chat-log";
  var $ = function (id) { return document.getElementById(id); };

  function read(key) {
    try { return JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  var log = read(LOG) || { conversation: null, items: [] }; // items: {kind: me|bot|error, text} or {kind: card, id}
  function save() { sessionStorage.setItem(LOG, JSON.stringify(log)); }
  function creds() { return read(CREDS) || {}; }

  function auth() {
    if (mode === "session") return { "X-CSRF-Token": app.dataset.csrf };
    var token = creds().token;
    return token ? { Authorization: "Bearer " + token } : {};
  }

  function getJSON(path) {
    return fetch(path, { headers: auth(), credentials: "same-origin" }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) throw new Error(body.error_description || body.error || "The server answered " + r.status + ".");
        return body;
      });
    });
  }

  // ---- a held write: the approval card, decided in place ----
  var deciding = new Set(); // confirmation ids whose decision is on its way: a second click does nothing

  function cardSlot(item) {
    var slot = el("div", { class: "card-slot", tabindex: "-1", role: "group", "aria-label": "A held action",
      "data-confirmation-id": item.id });
    slot.appendChild(el("p", { class: "muted" }, "Loading the action…"));
    slot.addEventListener("submit", function (e) { // the card's form, posted here rather than by navigating
      e.preventDefault();
      var button = e.submitter;
      if (!button || deciding.has(item.id)) return;
      decide(slot, item, button.value === "approve");
    }, true);
    return slot;
  }

  function draw(slot, state, outcome) {
    if (outcome && state.state !== "scheduled") state.outcome = outcome; // held for later: the card says it, with its Cancel
    slot.dataset.state = state.state;
    GMVCard.render(state, { root: slot, client: "the router, for your request here", form: { action: "/approve/" + encodeURIComponent(state.confirmation_id), csrf: app.dataset.csrf || "" } });
  }

  function load(slot, id, outcome) {
    return getJSON("/chat/card/" + encodeURIComponent(id)).then(function (state) { draw(slot, state, outcome); },
      function (error) { slot.replaceChildren(el("p", { class: "status-bad", role: "alert" }, error.message)); });
  }

  function decide(slot, item, approve) {
    var id = item.id;
    deciding.add(id);
    slot.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    var said = el("p", { class: "muted", role: "status" }, approve ? "Approving…" : "Declining…");
    slot.appendChild(said);
    var sent;
    if (mode === "session") {
      var body = new URLSearchParams({ csrf: app.dataset.csrf, decision: approve ? "approve" : "decline" });
      sent = fetch("/approve/" + encodeURIComponent(id), { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) {
          return r.text().then(function (text) { // our own result page: its words, read as text (nothing in it runs)
            var page = new DOMParser().parseFromString(text, "text/html");
            var words = Array.prototype.map.call(page.querySelectorAll("main p, body > p"), function (p) { return p.textContent; });
            var data = page.getElementById("state"); // a result page drawn as a card: its state, inert JSON
            var fresh = null;
            try {
              var card = data ? JSON.parse(data.textContent).card : null;
              if (card && (card.outcome || card.message)) words = [card.outcome || card.message];
              if (card && card.state === "waiting" && card.confirmation_id !== id) fresh = card.confirmation_id;
            } catch (e) { /* not JSON: its words, as above */ }
            return { ok: r.ok, status: r.status, text: words.join(" ").trim() || page.title, fresh: fresh };
          });
        });
    } else {
      sent = fetch("/confirm/" + encodeURIComponent(id) + "?confirmed=" + approve, {
        method: "POST", headers: Object.assign(auth(), { "X-Approval-Key": creds().key || "" }),
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (out) {
          var fresh = out.status === "confirmation_required" && out.confirmation_id !== id ? out.confirmation_id : null;
          return { ok: r.ok, status: r.status, text: out.message || out.error || out.error_description || "", fresh: fresh };
        });
      });
    }
    return sent.then(function (answer) {
      deciding.delete(id);
      if (answer.status === 401 || answer.status === 403) { // refused before anything was decided: try again
        slot.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
        said.className = "status-bad";
        said.setAttribute("role", "alert");
        said.textContent = "Refused: " + (answer.text || "sign in again.") +
          (mode === "session" ? " Reload the page to sign in again." : " Sign out and in again with your token and approval key.");
        return;
      }
      if (answer.fresh) { // it changed since the preview: a fresh one (a new id) to decide on, in its place
        item.id = answer.fresh;
        slot.dataset.confirmationId = answer.fresh;
        save();
        return load(slot, answer.fresh, answer.text).then(function () { slot.focus(); refreshActivity(); });
      }
      return load(slot, id, answer.ok ? answer.text : null).then(function () { slot.focus(); refreshActivity(); });
    }, function () {
      deciding.delete(id);
      slot.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      said.textContent = "The server could not be reached; nothing was decided. Try again.";
    });
  }

  // ---- the conversation ----
  function show(item) {
    var li;
    if (item.kind === "card") {
      var slot = cardSlot(item);
      li = el("li", null, slot);
      $("transcript").appendChild(li);
      return load(slot, item.id).then(function () { return slot; });
    }
    li = el("li", { class: "msg " + item.kind }, item.kind === "me" ? el("span", { class: "visually-hidden" }, "You: ") : null, item.text);
    $("transcript").appendChild(li);
    return Promise.resolve(null);
  }

  function ask(text) {
    var status = $("status");
    $("send").disabled = true;
    status.textContent = "Working on it…";
    var mine = { kind: "me", text: text };
    log.items.push(mine);
    save();
    show(mine);
    var body = { user_id: "chat page", message: text };
    if (log.conversation) body.conversation_id = log.conversation;
    fetch("/chat", {
      method: "POST", credentials: "same-origin",
      headers: Object.assign(auth(), { "Content-Type": "application/json" }), body: JSON.stringify(body),
    }).then(function (r) {
      if (r.status === 404 && log.conversation) log.conversation = null; // that conversation ended: start anew
      if (r.status === 401) {
        return { error: mode === "session" ? "Your sign-in ended: reload the page to sign in again."
          : "Your token was refused: sign out, and sign in again with a token this server accepts." };
      }
      return r.json().catch(function () { return { error: "The server answered " + r.status + "." }; });
    }, function () {
      return { error: "The server could not be reached. Try again." };
    }).then(function (answer) {
      $("send").disabled = false;
      var added = [];
      if (answer.error) added.push({ kind: "error", text: answer.error_description || answer.error });
      else {
        log.conversation = answer.conversation_id;
        added.push({ kind: "bot", text: answer.answer || "(no answer)" });
        (answer.pending_actions || []).forEach(function (p) { added.push({ kind: "card", id: p.confirmation_id }); });
      }
      log.items = log.items.concat(added);
      save();
      return Promise.all(added.map(show)).then(function (shown) {
        var first = shown.filter(Boolean)[0];
        if (first) {
          status.textContent = "Waiting for your approval: Tab to Approve or Decline.";
          first.focus(); // read out; Tab leads into the card
        } else status.textContent = answer.error ? "Not done." : "";
        refreshActivity();
      });
    });
  }

  // ---- the activity record ----
  var STEPS = { call: "asked", held: "waiting for approval", approved: "approved", done: "done", declined: "declined",
    cancelled: "cancelled", failed: "failed", expired: "expired", unknown: "outcome unknown", scheduled: "scheduled" };

  function refreshActivity() {
    return getJSON("/chat/activity").then(function (found) {
      var list = $("entries");
      var rows = [];
      var day = "";
      (found.entries || []).forEach(function (e) {
        var d = new Date(e.timestamp).toLocaleDateString(undefined, { weekday: "long", month: "short", day: "numeric" });
        if (d !== day) { day = d; rows.push(el("li", { class: "day" }, d)); }
        var step = STEPS[e.step] || e.step;
        var extra = e.status && e.status !== e.step && e.status !== "ok" ? " (" + e.status + ")" : "";
        rows.push(el("li", { "data-action": e.action, "data-step": e.step },
          el("time", { datetime: e.timestamp }, GMV.when(e.timestamp, undefined, { hour: "2-digit", minute: "2-digit" })),
          e.action + " · " + step + extra));
      });
      list.replaceChildren.apply(list, rows.length ? rows : [el("li", null, "Nothing yet.")]);
    }, function () { /* the record is unavailable for now: the conversation goes on without it */ });
  }

  // ---- signing in ----
  function start() {
    $("signin").hidden = true;
    $("conversation").hidden = $("activity").hidden = $("restart").hidden = false;
    $("signout").hidden = mode === "session";
    $("who").textContent = mode === "session" ? "Signed in as " + app.dataset.who : "Signed in with your key";
    log.items.forEach(show);
    refreshActivity();
    $("ask").focus();
  }

  $("signin-form").addEventListener("submit", function (e) {
    e.preventDefault();
    sessionStorage.setItem(CREDS, JSON.stringify({ token: $("token").value.trim(), key: $("key").value.trim() }));
    $("token").value = $("key").value = "";
    start();
  });
  $("signout").addEventListener("click", function () { sessionStorage.clear(); location.reload(); });
  $("restart").addEventListener("click", function () {
    log = { conversation: null, items: [] };
    save();
    $("transcript").replaceChildren();
    $("ask").focus();
  });
  $("composer").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("ask").value.trim();
    if (!text || $("send").disabled) return;
    $("ask").value = "";
    ask(text);
  });
  $("ask").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("composer").requestSubmit();
    }
  });

  if (mode === "session" || creds().key) start();
  else {
    $("token-field").hidden = mode !== "token";
    $("token").required = mode === "token";
    $("signin").hidden = false;
    $(mode === "token" ? "token" : "key").focus();
  }
})();
