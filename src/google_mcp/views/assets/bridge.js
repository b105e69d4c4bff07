/* The view side of MCP Apps (protocol 2026-01-26): JSON-RPC over postMessage with the host.
   ui/initialize -> ui/notifications/initialized; the host sends tool-input, tool-result and context changes;
   the view calls tools through the host and reports its size. Also: el(), a DOM builder that only ever sets
   text (never HTML), and time formatting in a named zone. Exposed as window.GMV. */
"use strict";
(function () {
  var PROTOCOL = "2026-01-26";
  var host = window.parent;
  var nextId = 1;
  var waiting = new Map();
  var handlers = Object.create(null);
  var context = {};
  var inHost = host && host !== window;

  function send(message) {
    message.jsonrpc = "2.0";
    host.postMessage(message, "*");
  }

  function request(method, params) {
    var id = nextId++;
    return new Promise(function (resolve, reject) {
      waiting.set(id, { resolve: resolve, reject: reject });
      send({ id: id, method: method, params: params || {} });
    });
  }

  function notify(method, params) {
    send({ method: method, params: params || {} });
  }

  window.addEventListener("message", function (event) {
    if (!inHost || event.source !== host) return;
    var m = event.data;
    if (!m || m.jsonrpc !== "2.0") return;
    if (m.method === undefined && m.id !== undefined) {
      var w = waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id);
      if (m.error) w.reject(new Error(m.error.message || "request failed"));
      else w.resolve(m.result);
      return;
    }
    if (m.id !== undefined) {
      // a request from the host: teardown and ping are answered; nothing else is served here
      if (m.method === "ui/resource-teardown" || m.method === "ping") send({ id: m.id, result: {} });
      else send({ id: m.id, error: { code: -32601, message: "Method not found" } });
      return;
    }
    var handler = handlers[m.method];
    if (handler) handler(m.params || {});
  });

  function applyContext(next) {
    if (!next) return;
    for (var key in next) context[key] = next[key];
    var root = document.documentElement;
    if (context.theme === "dark" || context.theme === "light") root.setAttribute("data-theme", context.theme);
    if (context.locale) root.setAttribute("lang", context.locale);
  }

  function reportSize() {
    var root = document.documentElement;
    notify("ui/notifications/size-changed", { width: root.scrollWidth, height: root.scrollHeight });
  }

  /* One view: { name, onInput(args), onResult(result), onContext(ctx), onCancelled(reason) }. */
  function start(view) {
    handlers["ui/notifications/tool-input"] = function (p) { if (view.onInput) view.onInput(p.arguments || {}); };
    handlers["ui/notifications/tool-result"] = function (p) { if (view.onResult) view.onResult(p); };
    handlers["ui/notifications/tool-cancelled"] = function (p) { if (view.onCancelled) view.onCancelled(p.reason || ""); };
    handlers["ui/notifications/host-context-changed"] = function (p) {
      applyContext(p);
      if (view.onContext) view.onContext(context);
    };
    if (!inHost) return Promise.resolve(context);
    return request("ui/initialize", {
      appInfo: { name: "google-mcp-" + view.name, version: "1" },
      appCapabilities: { availableDisplayModes: ["inline"] },
      protocolVersion: PROTOCOL,
    }).then(function (result) {
      applyContext(result && result.hostContext);
      if (view.onContext) view.onContext(context);
      notify("ui/notifications/initialized", {});
      if (window.ResizeObserver) new ResizeObserver(reportSize).observe(document.documentElement);
      reportSize();
      return context;
    });
  }

  /* tools/call through the host; resolves to the CallToolResult, rejects with the tool's error text. */
  function callTool(name, args) {
    return request("tools/call", { name: name, arguments: args || {} }).then(function (result) {
      if (result && result.isError) {
        var first = (result.content || [])[0];
        throw new Error(first && first.text ? first.text : name + " failed");
      }
      return result;
    });
  }

  /* Ask the host to open a link (a view's frame cannot open windows itself). */
  function openLink(url) {
    return request("ui/open-link", { url: url });
  }

  /* el("p", {class: "x", "aria-label": "y"}, "text", child, [more]) - text is text, never markup. */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var key in attrs) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) continue;
        if (key.slice(0, 2) === "on") throw new Error("no inline handlers: use addEventListener");
        node.setAttribute(key, value === true ? "" : String(value));
      }
    }
    for (var i = 2; i < arguments.length; i++) add(node, arguments[i]);
    return node;
  }

  function add(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { add(node, c); }); return; }
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }

  /* An ISO time as the person reads it, in `zone` (IANA) when given, with the zone named. */
  function when(iso, zone, options) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return String(iso);
    var opts = options || { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
    opts = Object.assign({ timeZoneName: "short" }, opts);
    try {
      if (zone) opts.timeZone = zone;
      return new Intl.DateTimeFormat(context.locale || undefined, opts).format(date);
    } catch (e) {
      delete opts.timeZone;
      return new Intl.DateTimeFormat(undefined, opts).format(date);
    }
  }

  window.GMV = {
    start: start,
    callTool: callTool,
    openLink: openLink,
    el: el,
    when: when,
    context: function () { return context; },
    inHost: inHost,
    reportSize: reportSize,
  };
})();
