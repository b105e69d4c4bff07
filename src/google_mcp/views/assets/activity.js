/* The activity view: activity_log's entries (newest first) under the day they happened, in the person's zone:
   the time, the tool in words, the step (done, held, approved, failed …), and a few of its arguments as the
   record kept them (a hidden value is said to be hidden). Everything is text (GMV.el). */
"use strict";
(function () {
  var el = GMV.el;
  var app = document.getElementById("app");
  var last = null;
  var SERVICES = { gmail: "Gmail", calendar: "Calendar", docs: "Docs", drive: "Drive", sheets: "Sheets", slides: "Slides",
    contacts: "Contacts", tasks: "Tasks", slack: "Slack", sms: "SMS", activity: "Activity" };
  var TONE = { done: "ok", approved: "ok", failed: "bad", unknown: "bad", error: "bad", held: "warn", asked: "warn",
    confirmation_required: "warn", scheduled: "warn", executing: "warn" };
  var SHOWN = ["to", "subject", "summary", "title", "query", "start", "channel", "document_id", "message_id", "thread_id", "event_id", "text"];

  function zoneOpts(extra) {
    var zone = GMV.context().timeZone;
    var opts = Object.assign({}, extra);
    if (zone) {
      try { new Intl.DateTimeFormat("en-GB", { timeZone: zone }); opts.timeZone = zone; } catch (e) { /* the browser's */ }
    }
    return opts;
  }

  function tool(name) {
    var cut = (name || "").indexOf("_");
    var service = cut > 0 ? SERVICES[name.slice(0, cut)] : null;
    var rest = (service ? name.slice(cut + 1) : name || "").replace(/_/g, " ");
    return service ? service + ": " + rest : rest.charAt(0).toUpperCase() + rest.slice(1);
  }

  function value(v) {
    if (v === null || v === undefined) return "";
    if (Array.isArray(v)) return v.map(value).join(", ");
    if (typeof v === "object") return typeof v.chars === "number" ? "(" + v.chars + " characters, not kept)" : "…";
    return String(v);
  }

  function details(e, asked) {
    var p = e.parameters || asked[e.confirmation_id] || {}, out = [];
    SHOWN.forEach(function (k) { if (k in p && out.length < 3) out.push(k.replace(/_/g, " ") + ": " + value(p[k])); });
    var r = e.result || {};
    if (r.status) out.push("result: " + value(r.status).replace(/_/g, " "));
    Object.keys(r).forEach(function (k) { if (/_count$/.test(k)) out.push(r[k] + " " + k.replace(/_count$/, "").replace(/_/g, " ")); });
    return out.join(" · ");
  }

  function render(data) {
    var entries = data.entries || [];
    var dayKey = new Intl.DateTimeFormat("en-CA", zoneOpts({ year: "numeric", month: "2-digit", day: "2-digit" }));
    var dayLong = new Intl.DateTimeFormat("en-GB", zoneOpts({ weekday: "long", day: "numeric", month: "long", year: "numeric" }));
    var time = new Intl.DateTimeFormat("en-GB", zoneOpts({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" }));
    var today = dayKey.format(new Date());
    var days = [], byDay = {}, asked = {}; // a confirmation's later steps, told with the arguments it was held with
    entries.forEach(function (e) { if (e.confirmation_id && e.parameters) asked[e.confirmation_id] = e.parameters; });
    entries.forEach(function (e) {
      var at = new Date(e.timestamp);
      var key = isNaN(at.getTime()) ? "?" : dayKey.format(at);
      if (!byDay[key]) { byDay[key] = { at: at, list: [] }; days.push(key); }
      var list = byDay[key].list, prev = list[list.length - 1];
      if (prev && !e.parameters && !prev.parameters && prev.action === e.action && prev.step === e.step && prev.status === e.status && !e.error) {
        prev.times = (prev.times || 1) + 1; // the same bare step again (a view's repeated reads): one line, counted
        return;
      }
      list.push(Object.assign({}, e));
    });
    var zone = zoneOpts({}).timeZone || Intl.DateTimeFormat().resolvedOptions().timeZone;
    var sections = days.map(function (key) {
      var group = byDay[key];
      var title = key === "?" ? "Undated" : (key === today ? "Today, " : "") + dayLong.format(group.at);
      return el("section", { class: "ac-day", "data-day": key }, el("h2", null, title),
        el("ul", { class: "plain ac-list" }, group.list.map(function (e) {
          var at = new Date(e.timestamp);
          var step = e.step || e.status || "";
          var shown = step === "call" ? e.status || "call" : step;
          var info = details(e, asked);
          return el("li", { class: "ac-entry" },
            el("time", { class: "ac-time", datetime: e.timestamp }, isNaN(at.getTime()) ? "" : time.format(at)),
            el("span", { class: "ac-what" },
              el("span", { class: "ac-tool" }, tool(e.action)), e.times ? " ×" + e.times : null, " ",
              el("span", { class: "badge ac-step status-" + (TONE[shown] || "plain") }, shown.replace(/_/g, " ")),
              e.approved_by ? el("span", { class: "muted" }, " approved by " + e.approved_by) : null,
              info ? el("span", { class: "ac-info muted" }, info) : null,
              e.error ? el("span", { class: "ac-info status-bad" }, e.error) : null));
        })));
    });
    app.replaceChildren(el("div", { class: "ac" },
      el("header", null, el("h1", null, "Activity"),
        el("p", { class: "muted" }, entries.length + " entries, newest first; times in " + zone)),
      sections.length ? sections : el("p", null, "Nothing done yet.")));
  }

  GMV.start({
    name: "activity",
    onResult: function (r) {
      if (r.isError || !r.structuredContent) {
        app.replaceChildren(el("p", { class: "status-bad" }, "No activity to show."));
        return;
      }
      last = r.structuredContent;
      render(last);
    },
    onContext: function () { if (last) render(last); },
  });
})();
