/* The inbox view: gmail_search's messages as threads (senders, subject, snippet, labels, unread), newest first.
   A row is a button: it asks the host to call gmail_get_thread (a thread of several) or gmail_get_message, once,
   and shows the answer's text here. Everything from mail is text (GMV.el): nothing in it runs or loads. */
"use strict";
(function () {
  var el = GMV.el;
  var app = document.getElementById("app");
  var last = null;
  var list = null;
  var busy = false;
  var HIDDEN = { inbox: 1, unread: 1, sent: 1, draft: 1, important: 1, starred: 1 };

  function name(sender) { // "Dana Whitfield <dana@…>" -> "Dana Whitfield"; a bare address stays
    var m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(sender || "");
    return m ? m[1] || m[2] : sender || "(unknown)";
  }

  function shortDate(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    var zone = GMV.context().timeZone;
    var opts = { timeZone: zone || undefined };
    var key = function (x) { return x.toLocaleDateString("en-CA", opts); };
    try { key(d); } catch (e) { opts = {}; }
    if (key(d) === key(new Date())) return d.toLocaleTimeString("en-GB", Object.assign({ hour: "2-digit", minute: "2-digit" }, opts));
    return d.toLocaleDateString("en-GB", Object.assign({ day: "numeric", month: "short" }, opts));
  }

  function threads(messages) {
    var byId = {}, order = [];
    messages.forEach(function (m) {
      var key = (m.account || "") + "/" + m.thread_id;
      if (!byId[key]) { byId[key] = { messages: [] }; order.push(key); }
      byId[key].messages.push(m);
    });
    return order.map(function (k) { return byId[k]; });
  }

  function labelsOf(t) {
    var seen = {}, out = [];
    t.messages.forEach(function (m) {
      (m.labels || []).forEach(function (l) {
        if (HIDDEN[l] || l.indexOf("category:") === 0 || seen[l]) return;
        seen[l] = 1;
        out.push(l);
      });
    });
    return out;
  }

  function row(t) {
    var newest = t.messages[0];
    var unread = t.messages.some(function (m) { return (m.labels || []).indexOf("unread") >= 0; });
    var important = t.messages.some(function (m) { return (m.labels || []).indexOf("important") >= 0; });
    var senders = [];
    t.messages.forEach(function (m) { var n = name(m.sender); if (senders.indexOf(n) < 0) senders.push(n); });
    var labels = labelsOf(t);
    var button = el("button", { type: "button", class: "ib-row" + (unread ? " ib-unread" : "") },
      el("span", { class: "ib-top" },
        unread ? el("span", { class: "ib-dot", "aria-hidden": "true" }) : null,
        unread ? el("span", { class: "visually-hidden" }, "Unread. ") : null,
        el("span", { class: "ib-from" }, senders.join(", ")),
        t.messages.length > 1 ? el("span", { class: "ib-count" }, " (" + t.messages.length + ")") : null,
        el("span", { class: "ib-date muted" }, shortDate(newest.date))),
      el("span", { class: "ib-subject" }, important ? el("span", { class: "ib-imp", title: "Important" }, "» ") : null,
        newest.subject || "(no subject)"),
      el("span", { class: "ib-snippet muted" }, newest.snippet || ""),
      labels.length || newest.has_attachments || newest.account ? el("span", { class: "ib-labels" },
        newest.has_attachments ? el("span", { class: "badge" }, "attachment") : null,
        labels.map(function (l) { return el("span", { class: "badge" }, l); }),
        newest.account ? el("span", { class: "badge" }, newest.account) : null) : null);
    button.addEventListener("click", function () { open(t, button); });
    return el("li", null, button);
  }

  function open(t, button) {
    if (busy) return;
    busy = true;
    button.setAttribute("aria-busy", "true");
    var m = t.messages[0];
    var args = t.messages.length > 1 ? { thread_id: m.thread_id } : { message_id: m.id };
    if (m.account) args.account = m.account;
    var tool = t.messages.length > 1 ? "gmail_get_thread" : "gmail_get_message";
    GMV.callTool(tool, args).then(function (result) {
      reader(result.structuredContent || {}, t);
    }, function (err) {
      reader({ error: err.message }, t);
    }).then(function () {
      busy = false;
      button.removeAttribute("aria-busy");
    });
  }

  function message(m, subject) {
    return el("article", { class: "ib-msg box" },
      el("dl", { class: "fields" },
        el("dt", null, "From"), el("dd", null, m.sender || ""),
        m.to ? [el("dt", null, "To"), el("dd", null, m.to)] : null,
        m.cc ? [el("dt", null, "Cc"), el("dd", null, m.cc)] : null,
        el("dt", null, "Date"), el("dd", null, m.date ? GMV.when(m.date, GMV.context().timeZone) : "")),
      m.subject && m.subject !== subject ? el("h3", null, m.subject) : null,
      el("pre", { class: "ib-body" }, m.body || ""),
      m.next_offset ? el("p", { class: "muted" }, "The rest is longer; ask to read on.") : null,
      (m.attachments || []).length ? el("ul", { class: "plain ib-files" }, m.attachments.map(function (a) {
        return el("li", null, a.filename + " (" + a.mime_type + ", " + a.size + " bytes)");
      })) : null);
  }

  function reader(data, t) {
    var back = el("button", { type: "button" }, "Back to the list");
    back.addEventListener("click", function () { app.replaceChildren(list); var f = list.querySelector(".ib-row"); if (f) f.focus(); });
    var subject = data.subject || t.messages[0].subject || "(no subject)";
    var body = data.error ? el("p", { class: "status-bad" }, data.error)
      : data.messages ? data.messages.map(function (m) { return message(m, subject); }) : message(data, subject);
    var view = el("div", { class: "ib-reader stack" }, back, el("h1", { tabindex: "-1" }, subject), body);
    app.replaceChildren(view);
    view.querySelector("h1").focus();
  }

  function render(data) {
    var ts = threads(data.messages || []);
    var unread = ts.filter(function (t) { return t.messages.some(function (m) { return (m.labels || []).indexOf("unread") >= 0; }); }).length;
    var head = el("header", null,
      el("h1", null, "Inbox"),
      el("p", { class: "muted" }, (data.query ? "“" + data.query + "”: " : "") + ts.length + " conversations, " + unread + " unread" +
        (data.result_size_estimate > (data.messages || []).length ? " (about " + data.result_size_estimate + " messages match)" : "")));
    var rows = ts.length ? el("ul", { class: "plain ib-list" }, ts.map(row)) : el("p", null, "No messages.");
    list = el("div", { class: "ib" }, head, rows,
      (data.failed_ids || []).length ? el("p", { class: "status-warn" }, data.failed_ids.length + " could not be read this time.") : null);
    app.replaceChildren(list);
  }

  GMV.start({
    name: "inbox",
    onResult: function (r) {
      if (r.isError || !r.structuredContent) {
        app.replaceChildren(el("p", { class: "status-bad" }, "No messages to show."));
        return;
      }
      last = r.structuredContent;
      render(last);
    },
  });
})();
