/* The week view: calendar_list_events or calendar_free_busy as days in columns, each event (or busy block) placed
   by its time in one named zone, an event in another zone also shown in its own, all-day events in a strip above,
   free slots marked. Narrow (390 px): the same days stacked, in time order. Everything is text (GMV.el). */
"use strict";
(function () {
  var el = GMV.el;
  var app = document.getElementById("app");
  var args = {};
  var last = null;
  var DAY = 86400000;

  function fmt(zone, opts) {
    try {
      return new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: zone }, opts));
    } catch (e) {
      return new Intl.DateTimeFormat("en-GB", opts);
    }
  }

  /* An instant's wall clock in `zone`: its day number (days since 1970-01-01 on that calendar) and minute. */
  function wall(iso, zone) {
    var date = new Date(iso);
    var parts = {};
    fmt(zone, { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(date)
      .forEach(function (p) { parts[p.type] = p.value; });
    var day = Date.UTC(+parts.year, +parts.month - 1, +parts.day) / DAY;
    return { day: day, min: (+parts.hour % 24) * 60 + +parts.minute };
  }

  function dayOf(text) { // "2026-12-03" (or an ISO time's date) -> day number
    return Date.UTC(+text.slice(0, 4), +text.slice(5, 7) - 1, +text.slice(8, 10)) / DAY;
  }

  function dayName(day, long) {
    return new Date(day * DAY).toLocaleDateString("en-GB", {
      timeZone: "UTC", weekday: long ? "long" : "short", day: "numeric", month: long ? "long" : "short",
    });
  }

  function hhmm(min) {
    var h = Math.floor(min / 60) % 24, m = min % 60;
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }

  function clock(iso, zone) {
    return fmt(zone, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(iso));
  }

  function commonZone(events) {
    var count = {}, best = null;
    events.forEach(function (e) {
      var z = e.start && e.start.time_zone;
      if (!z) return;
      count[z] = (count[z] || 0) + 1;
      if (best === null || count[z] > count[best]) best = z;
    });
    return best;
  }

  /* What to draw, from either tool's structured content: timed items, all-day items, free slots, the zone. */
  function model(result) {
    var items = [], allDay = [], free = [], zone, from = null, to = null;
    if (Array.isArray(result.events)) {
      zone = commonZone(result.events) || GMV.context().timeZone || "UTC";
      result.events.forEach(function (e) {
        if (e.status === "cancelled") return;
        if (e.all_day) {
          var first = dayOf(e.start.date);
          allDay.push({ title: e.summary || "(no title)", first: first, last: Math.max(first, dayOf(e.end.date || e.start.date) - 1) });
          return;
        }
        var own = e.start.time_zone && e.start.time_zone !== zone ? e.start.time_zone : null;
        items.push({
          kind: "event", title: e.summary || "(no title)", start: e.start.date_time, end: e.end.date_time,
          where: e.location || "", own: own,
          ownText: own ? clock(e.start.date_time, own) + "–" + clock(e.end.date_time, own) + " " + own : "",
          who: e.account || "",
        });
      });
      from = args.time_min || result.time_min || null;
      to = args.time_max || result.time_max || null;
    } else {
      zone = result.time_zone || GMV.context().timeZone || "UTC";
      var people = Object.keys(result.busy || {});
      people.forEach(function (who) {
        (result.busy[who] || []).forEach(function (b) {
          items.push({ kind: "busy", title: people.length > 1 ? "Busy: " + who : "Busy", start: b.start, end: b.end });
        });
      });
      (result.free_slots || []).forEach(function (b) {
        free.push({ kind: "free", title: "Free", start: b.start, end: b.end });
      });
      from = args.time_min || null;
      to = args.time_max || null;
    }
    return { items: items, allDay: allDay, free: free, zone: zone, from: from, to: to };
  }

  /* Cut each timed item into one piece per day it touches, in the zone's wall clock. */
  function pieces(list, zone) {
    var out = [];
    list.forEach(function (it) {
      var s = wall(it.start, zone), e = wall(it.end, zone);
      var text = hhmm(s.min) + "–" + hhmm(e.min) + (e.day > s.day ? " (+" + (e.day - s.day) + "d)" : "");
      for (var d = s.day; d <= e.day; d++) {
        var a = d === s.day ? s.min : 0, b = d === e.day ? e.min : 1440;
        if (b <= a && !(a === b && s.day === e.day)) continue;
        out.push(Object.assign({}, it, { day: d, a: a, b: Math.max(b, a + 30), time: text })); // drawn at least half an hour tall
      }
    });
    return out;
  }

  /* Overlapping pieces of one day side by side: each gets a lane and the number of lanes of its cluster. */
  function lanes(dayPieces) {
    dayPieces.sort(function (x, y) { return x.a - y.a || y.b - x.b; });
    var cluster = [], ends = [], clusterEnd = -1;
    function close() { cluster.forEach(function (p) { p.lanes = ends.length; }); cluster = []; ends = []; }
    dayPieces.forEach(function (p) {
      if (p.a >= clusterEnd) close();
      var lane = ends.findIndex(function (end) { return end <= p.a; });
      if (lane < 0) { lane = ends.length; ends.push(p.b); } else ends[lane] = p.b;
      p.lane = lane;
      cluster.push(p);
      clusterEnd = Math.max(clusterEnd, p.b);
    });
    close();
    return dayPieces;
  }

  function range(m, timed) {
    var first = m.from ? (m.from.length <= 10 ? dayOf(m.from) : wall(m.from, m.zone).day) : null;
    var days = timed.map(function (p) { return p.day; }).concat(m.allDay.map(function (a) { return a.first; }));
    if (first === null) first = days.length ? Math.min.apply(null, days) : wall(new Date().toISOString(), m.zone).day;
    var end = m.to ? (m.to.length <= 10 ? dayOf(m.to) : wall(m.to, m.zone).day + 1) : first + 7;
    var out = [];
    for (var d = first; d < Math.min(end, first + 7); d++) out.push(d);
    return out.length ? out : [first];
  }

  function render(result) {
    var m = model(result);
    var timed = pieces(m.items, m.zone);
    var free = pieces(m.free, m.zone);
    var days = range(m, timed.concat(free));
    var shown = {};
    days.forEach(function (d) { shown[d] = true; });
    var lo = 8 * 60, hi = 18 * 60;
    timed.concat(free).forEach(function (p) {
      if (!shown[p.day]) return;
      lo = Math.min(lo, Math.floor(p.a / 60) * 60);
      hi = Math.max(hi, Math.ceil(p.b / 60) * 60);
    });
    var span = hi - lo;
    var today = wall(new Date().toISOString(), m.zone).day;
    var later = timed.filter(function (p) { return p.day > days[days.length - 1]; }).length;

    var head = el("header", { class: "wk-head" },
      el("h1", null, result.events ? "Week" : "Free and busy"),
      el("p", { class: "muted wk-zone" }, "Times in ", el("strong", null, m.zone),
        m.free.length ? ["; ", el("span", { class: "wk-key-free" }, "free for everyone"), " marked"] : null));

    var strip = null;
    var spans = m.allDay.filter(function (a) { return a.last >= days[0] && a.first <= days[days.length - 1]; });
    if (spans.length) {
      strip = el("ul", { class: "wk-allday plain", "aria-label": "All day", style: "--days:" + days.length });
      spans.forEach(function (a) {
        var first = Math.max(a.first, days[0]), last = Math.min(a.last, days[days.length - 1]);
        var li = el("li", { class: "wk-chip" }, el("span", { class: "wk-when" },
          dayName(a.first) + (a.last > a.first ? " – " + dayName(a.last) : "") + ", all day"), " ", el("span", { class: "wk-title" }, a.title));
        li.style.gridColumn = (first - days[0] + 2) + " / " + (last - days[0] + 3);
        strip.appendChild(li);
      });
    }

    var hours = el("div", { class: "wk-hours", "aria-hidden": "true" });
    for (var h = lo; h < hi; h += 60) {
      var tick = el("span", null, hhmm(h));
      tick.style.top = ((h - lo) / span) * 100 + "%";
      hours.appendChild(tick);
    }

    var grid = el("div", { class: "wk-grid", style: "--days:" + days.length + ";--hours:" + span / 60 }, hours);
    days.forEach(function (d) {
      var list = el("ul", { class: "wk-items plain" });
      var mine = lanes(timed.filter(function (p) { return p.day === d; }));
      var slots = free.filter(function (p) { return p.day === d; });
      slots.concat(mine).sort(function (x, y) { return x.a - y.a; }).forEach(function (p) {
        var li = el("li", { class: "wk-item wk-" + p.kind + (p.b - p.a < 50 ? " wk-short" : "") },
          el("span", { class: "wk-when" }, p.time), " ",
          el("span", { class: "wk-title" }, p.title),
          p.own ? el("span", { class: "wk-own" }, p.ownText) : null,
          p.where ? el("span", { class: "wk-where muted" }, p.where) : null,
          p.who ? el("span", { class: "wk-where muted" }, p.who) : null);
        li.style.top = ((p.a - lo) / span) * 100 + "%";
        li.style.height = ((p.b - p.a) / span) * 100 + "%";
        if (p.kind !== "free") {
          li.style.left = (p.lane / p.lanes) * 100 + "%";
          li.style.width = 100 / p.lanes + "%";
        }
        list.appendChild(li);
      });
      if (!list.childNodes.length) list.appendChild(el("li", { class: "wk-none muted" }, "Nothing"));
      var name = el("h2", { class: "wk-dayname" }, dayName(d));
      name.style.gridColumn = list.style.gridColumn = String(d - days[0] + 2);
      grid.appendChild(el("section", { class: "wk-day", "aria-label": dayName(d, true), "data-day": new Date(d * DAY).toISOString().slice(0, 10),
        "aria-current": d === today ? "date" : null },
        name, list));
    });

    var notes = [];
    if (later) notes.push(el("p", { class: "muted" }, later + " more after " + dayName(days[days.length - 1]) + "."));
    if (result.next_page_token) notes.push(el("p", { class: "muted" }, "More events on the next page."));
    Object.keys(result.errors || {}).forEach(function (who) {
      notes.push(el("p", { class: "status-warn" }, "Unknown for " + who + ": " + result.errors[who]));
    });
    app.replaceChildren(el("div", { class: "wk" }, head, strip, grid, notes));
  }

  GMV.start({
    name: "week",
    onInput: function (a) { args = a || {}; if (last) render(last); },
    onResult: function (r) {
      var data = r.structuredContent;
      if (r.isError || !data) {
        app.replaceChildren(el("p", { class: "status-bad" }, "No calendar to show."));
        return;
      }
      last = data;
      render(data);
    },
    onContext: function () { if (last) render(last); },
  });
})();
