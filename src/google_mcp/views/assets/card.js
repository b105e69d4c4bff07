/* The approval card: one held write, field by field as its preview has it, with Approve and Decline.
   In a host (MCP Apps) it reads the action's state through the host (view_pending_action) when it loads and
   again before it acts; Approve is confirm_action, Decline decline_pending_action (recorded as the person's no).
   An approved action held for later (send_at, the undo window) shows when it goes and a Cancel that stops it
   (decline_pending_action in a host; on the chat page its form, decision=decline). In strict mode it cannot approve
   (the server cannot tell a view's call from the model's) and says where the person approves instead.
   As the approval page (/approve/{id}) it reads its state from the page and posts the page's form. */
"use strict";
(function () {
  var el = GMV.el;
  var root = document.getElementById("app");
  var options = {};  // client: who asked; form: {action, csrf} (a page posts its decision); root; act(cid, what)
  var busy = false;
  var STATE_TITLES = {
    waiting: "Approve this action?",
    executing: "Being carried out",
    scheduled: "Approved, goes later",
    done: "Done",
    declined: "Declined",
    cancelled: "Cancelled",
    expired: "Expired",
    failed: "Not done",
    unknown: "Outcome unknown",
    stale: "Changed since the preview",
    missing: "Nothing to approve",
  };
  var STATUS_STATE = { confirmation_required: "waiting", done: "done", declined: "declined", cancelled: "cancelled",
    failed: "failed", executing: "executing", unknown: "unknown", scheduled: "scheduled" };

  function zone() { return GMV.context().timeZone || undefined; }

  function list(values) { return (values || []).join(", "); }

  function fields(pairs) {
    var dl = el("dl", { class: "fields" });
    pairs.forEach(function (p) {
      if (p[1] === undefined || p[1] === null || p[1] === "" || (Array.isArray(p[1]) && !p[1].length)) return;
      dl.appendChild(el("dt", null, p[0]));
      dl.appendChild(el("dd", null, Array.isArray(p[1]) ? list(p[1]) : p[1]));
    });
    return dl;
  }

  function bytes(n) {
    if (n < 1024) return n + " B";
    if (n < 1048576) return (n / 1024).toFixed(1) + " KB";
    return (n / 1048576).toFixed(1) + " MB";
  }

  function mailHtml(markup) {
    // the HTML body as the recipient's mail client would show it, in a frame that runs nothing and fetches
    // nothing: sandboxed without scripts, under our policy and one of its own
    var policy = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">";
    return el("iframe", { class: "mail", sandbox: "", referrerpolicy: "no-referrer", title: "The mail's HTML body, as sent",
      srcdoc: policy + markup });
  }

  function mail(c) {
    var parts = [fields([["From", c.from], ["To", c.to], ["Cc", c.cc], ["Bcc", c.bcc], ["Subject", c.subject],
      ["In reply to", c.in_reply_to]])];
    (c.hidden || []).forEach(function (h) { parts.push(el("pre", { class: "note", "data-mark": "" }, h)); });
    if (c.text) parts.push(el("section", { "aria-label": "Text body" }, el("h3", null, "Text"),
      el("pre", { class: "box body-text" }, c.text)));
    if (c.html) parts.push(el("section", { "aria-label": "HTML body" }, el("h3", null, "HTML, as shown"), mailHtml(c.html)));
    if (c.attachments && c.attachments.length) {
      parts.push(el("section", { "aria-label": "Attachments" }, el("h3", null, "Attachments (" + c.attachments.length + ")"),
        el("ul", { class: "plain attachments" }, c.attachments.map(function (a) {
          return el("li", null, el("div", null, a.name + " · " + (a.mime || "") + " · " + bytes(a.size || 0)),
            a.sha256 ? el("div", { class: "hash" }, "SHA-256 " + a.sha256) : null);
        }))));
    }
    return parts;
  }

  function event(c) {
    var mine = zone() || Intl.DateTimeFormat().resolvedOptions().timeZone;  // the host's, else the browser's
    var when = c.all_day ? (c.start + (c.end && c.end !== c.start ? " – " + c.end : "") + " (all day)")
      : GMV.when(c.start, mine) + " – " + GMV.when(c.end, mine);
    var pairs = [["Event", c.title], ["When", when]];
    if (!c.all_day && c.zone && c.zone !== mine) pairs.push(["In " + c.zone, GMV.when(c.start, c.zone) + " – " + GMV.when(c.end, c.zone)]);
    pairs.push(["Where", c.location]);
    var out = [fields(pairs)];
    if (c.guests && c.guests.length) {
      out.push(el("section", { "aria-label": "Guests" }, el("h3", null, "Guests (" + c.guests.length + ")"),
        el("ul", { class: "plain" }, c.guests.map(function (g) {
          var local = !c.all_day && g.zone ? " — " + GMV.when(c.start, g.zone) + " their time" : "";
          return el("li", null, g.email + local);
        }))));
    }
    if (c.description) out.push(el("pre", { class: "box" }, c.description));
    return out;
  }

  function doc(c) {
    var out = [fields([["Document", c.title]])];
    (c.edits || []).forEach(function (e) {
      out.push(el("section", { class: "box stack", "aria-label": e.where || "Edit" },
        e.where ? el("h3", null, e.where) : null,
        el("div", { class: "before" }, el("span", { class: "visually-hidden" }, "Before: "), el("pre", null, e.before || "(nothing)")),
        el("div", { class: "after" }, el("span", { class: "visually-hidden" }, "After: "), el("pre", null, e.after || "(nothing)"))));
    });
    return out;
  }

  function message(c) {
    var pairs = c.kind === "slack" ? [["Channel", c.channel], ["Thread", c.thread]]
      : [["To", c.to], ["From", c.from], ["Segments", c.segments !== undefined ? c.segments + (c.encoding ? " (" + c.encoding + ")" : "") : null]];
    return [fields(pairs), el("pre", { class: "box body-text" }, c.text || "")];
  }

  var KINDS = { mail: mail, event: event, doc: doc, slack: message, sms: message };

  function body(state) {
    var c = state.card;
    var out = [];
    if (c && KINDS[c.kind]) out = KINDS[c.kind](c);
    var p = state.preview || {};
    var details = p.details || [];
    if (details.length) {
      var pre = el("pre", { class: "box" }, details.join("\n"));
      out.push(c && KINDS[c.kind] ? el("details", null, el("summary", null, "The preview as text"), pre) : pre);
    }
    return out;
  }

  /* render(state, note): the card for a CardState (views/card.py) into the page's #app (or options.root). */
  function render(state, note) {
    var title = STATE_TITLES[state.state] || state.state;
    if (!GMV.inHost && !options.root) document.title = title;
    var p = state.preview || {};
    var children = [el("header", null, el("h1", { class: "what" }, p.action ? p.action + ": " + (p.summary || "") : title))];
    if (options.client) children.push(el("p", { class: "muted" }, "Asked by " + options.client));
    var good = state.state === "done" || state.state === "scheduled";
    var bad = state.state === "failed" || state.state === "unknown" || state.state === "expired";
    var said = state.state === "waiting" ? title : (state.outcome || state.message);
    if (state.outcome && state.decided_at) said += " at " + GMV.when(state.decided_at, zone(), { hour: "2-digit", minute: "2-digit" });
    children.push(el("p", { class: "state " + (good ? "status-ok" : bad ? "status-bad" : ""), role: "status" }, said));
    if (note && state.state !== "scheduled") children.push(el("p", { class: "note" }, note)); // it says so itself
    children = children.concat(body(state));
    if (state.state === "waiting") {
      if (state.expires_at) children.push(el("p", { class: "muted" }, "Waiting since " + GMV.when(state.created_at, zone()) +
        "; expires " + GMV.when(state.expires_at, zone()) + "."));
      children.push(options.form ? pageForm(state) : actions(state));
    }
    if (state.state === "scheduled") { // approved, not gone yet: when it goes, and the way to stop it
      if (state.goes_at) children.push(el("p", { class: "goes" }, "Goes " + GMV.when(state.goes_at, zone()) + "."));
      children.push(options.form ? pageForm(state) : actions(state));
    }
    (options.root || root).replaceChildren(el("article", { class: "card stack", "aria-label": title }, children));
  }

  function actions(state) {
    var bar = el("div", { class: "actions" });
    if (state.state === "scheduled") {
      var stop = el("button", { type: "button", "data-act": "decline" }, "Cancel");
      stop.addEventListener("click", function () { act(state, "decline"); });
      bar.appendChild(stop);
      return bar;
    }
    if (state.strict) {
      bar.appendChild(el("p", null, "Strict confirmation is on: this card cannot approve. Approve it " + (state.approve_where || "where your server asks you") + "."));
      if (state.approve_url) {
        var open = el("button", { type: "button", class: "primary" }, "Open the approval page");
        open.addEventListener("click", function () { GMV.openLink(state.approve_url).catch(failed); });
        bar.appendChild(open);
      }
    } else {
      var approve = el("button", { type: "button", class: "primary", "data-act": "approve" }, "Approve");
      approve.addEventListener("click", function () { act(state, "approve"); });
      bar.appendChild(approve);
    }
    var decline = el("button", { type: "button", "data-act": "decline" }, "Decline");
    decline.addEventListener("click", function () { act(state, "decline"); });
    bar.appendChild(decline);
    return bar;
  }

  function pageForm(state) {
    var buttons = state.state === "scheduled"
      ? [el("button", { type: "submit", name: "decision", value: "decline" }, "Cancel")]
      : [el("button", { type: "submit", name: "decision", value: "approve", class: "primary" }, "Approve"),
        el("button", { type: "submit", name: "decision", value: "decline" }, "Decline")];
    var form = el("form", { method: "post", action: options.form.action, class: "actions" },
      el("input", { type: "hidden", name: "csrf", value: options.form.csrf }), buttons);
    return form;  // a double click posts once: the browser sends one submission of a form at a time
  }

  function setBusy(on) {
    busy = on;
    root.querySelectorAll("button[data-act]").forEach(function (b) { b.disabled = on; });
  }

  function failed(error) {
    setBusy(false);
    root.appendChild(el("p", { class: "note status-bad", role: "alert" }, String(error && error.message || error)));
  }

  function load(cid, note) {
    return GMV.callTool("view_pending_action", { confirmation_id: cid }).then(function (r) {
      render(r.structuredContent, note);
      return r.structuredContent;
    });
  }

  function act(state, what) {
    if (busy) return;
    setBusy(true);
    var cid = state.confirmation_id;
    load(cid).then(function (now) {  // decided elsewhere, expired or changed meanwhile: shown, not acted on
      if (now.state !== "waiting" && !(what === "decline" && now.state === "scheduled")) return null;
      setBusy(true);
      return GMV.callTool(what === "approve" ? "confirm_action" : "decline_pending_action", { confirmation_id: cid });
    }).then(function (r) {
      if (!r) { setBusy(false); return; }
      var out = r.structuredContent || {};
      if (out.status === "confirmation_required" && out.confirmation_id && out.confirmation_id !== cid) {
        setBusy(false);
        return load(out.confirmation_id, out.message);  // changed since the preview: a fresh one to decide on
      }
      return load(cid).then(function () { busy = false; });  // how it ended, said back
    }).catch(failed);
  }

  function fromResult(result) {
    var out = result.structuredContent || {};
    if (out.status === "confirmation_required" && out.confirmation_id) {
      load(out.confirmation_id).catch(failed);
      return;
    }
    var text = ((result.content || [])[0] || {}).text || "";
    render({ state: STATUS_STATE[out.status] || (result.isError ? "failed" : "done"), message: out.message || text,
      preview: out.preview, confirmation_id: out.confirmation_id });
  }

  /* For a page of ours that shows a card itself (the approval page, the chat page): render `state` (a
     CardState) with `opts` {client, form: {action, csrf}, root}. */
  window.GMVCard = {
    render: function (state, opts) { options = opts || {}; busy = false; render(state); },
  };

  var data = document.getElementById("state");
  if (data) {  // a page: its state is inline
    var page = JSON.parse(data.textContent);
    window.GMVCard.render(page.card, page);
  } else if (GMV.inHost) {
    root.replaceChildren(el("p", { class: "muted" }, "Waiting for the action…"));
    GMV.start({ name: "card", onResult: fromResult });
  }
})();
