(() => {
  "use strict";
  const app = document.getElementById("app");
  const mode = app.dataset.mode; // session | token | key
  const CREDS = "google-mcp-chat-creds";
  const LOG = "google-mcp-chat-log";
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  const read = (key) => {
    try { return JSON.parse(sessionStorage.getItem(key) || "null"); } catch { return null; }
  };
  const creds = () => read(CREDS);
  let log = read(LOG) || { conversation: null, items: [] };
  const busy = new WeakSet(); // cards whose decision is on its way (not kept across a reload)
  const save = () => sessionStorage.setItem(LOG, JSON.stringify(log));

  function auth() {
    if (mode === "session") return { "X-CSRF-Token": app.dataset.csrf };
    const c = creds();
    return c && c.token ? { Authorization: "Bearer " + c.token } : {};
  }

  // ---- the held action's card (to be the shared approval card of views/) ----
  function card(item) {
    const p = item.pending;
    const box = el("article", "card");
    box.tabIndex = -1;
    box.dataset.confirmationId = p.confirmation_id;
    const title = el("h3", null, p.preview.action || p.tool);
    title.id = "card-" + p.confirmation_id;
    box.setAttribute("aria-labelledby", title.id);
    box.append(title, el("p", null, p.preview.summary || ""));
    if ((p.preview.details || []).length) box.append(el("pre", null, p.preview.details.join("\n")));
    const outcome = el("p", "outcome");
    outcome.setAttribute("role", "status");
    if (item.decided) {
      outcome.textContent = item.decided.text;
      outcome.classList.add(item.decided.kind);
      box.append(outcome);
      return box;
    }
    box.append(el("p", "hint", "Waiting for you. Nothing is done until you approve."));
    const actions = el("div", "actions");
    const yes = el("button", "primary", "Approve");
    const no = el("button", null, "Decline");
    yes.type = no.type = "button";
    yes.dataset.decision = "approve";
    no.dataset.decision = "decline";
    const go = (approve) => async () => {
      if (busy.has(item) || item.decided) return; // a second click while the first is on its way does nothing
      busy.add(item);
      yes.disabled = no.disabled = true;
      outcome.textContent = approve ? "Approving…" : "Declining…";
      box.append(outcome);
      const decided = await decide(p.confirmation_id, approve);
      busy.delete(item);
      if (decided.retry) { // refused before anything was decided (sign-in, key): the person may try again
        outcome.textContent = decided.text;
        outcome.className = "outcome refused";
        yes.disabled = no.disabled = false;
        return;
      }
      item.decided = decided;
      save();
      const fresh = card(item);
      box.replaceWith(fresh);
      fresh.focus();
      refreshActivity();
    };
    yes.addEventListener("click", go(true));
    no.addEventListener("click", go(false));
    actions.append(yes, no);
    box.append(actions);
    return box;
  }

  async function decide(id, approve) {
    try {
      if (mode === "session") {
        const body = new URLSearchParams({ csrf: app.dataset.csrf, decision: approve ? "approve" : "decline" });
        const r = await fetch("/approve/" + encodeURIComponent(id), {
          method: "POST", body, credentials: "same-origin", redirect: "manual",
        });
        const doc = new DOMParser().parseFromString(await r.text(), "text/html"); // our page; nothing in it runs
        const said = [...doc.querySelectorAll("p")].map((x) => x.textContent).join(" ").trim();
        if (r.status === 401) return { kind: "refused", retry: true, text: "Your sign-in ended: reload the page to sign in again." };
        if (r.status === 403) return { kind: "refused", retry: true, text: said || "Refused." };
        return outcomeOf(r.ok, doc.title, said);
      }
      const c = creds() || {};
      const r = await fetch(`/confirm/${encodeURIComponent(id)}?confirmed=${approve}`, {
        method: "POST", headers: { ...auth(), "X-Approval-Key": c.key || "" },
      });
      const answer = await r.json().catch(() => ({}));
      if (r.status === 401 || r.status === 403) {
        return { kind: "refused", retry: true, text: "Refused: " + (answer.error || answer.error_description || "sign out and sign in again with your token and approval key.") };
      }
      const title = r.ok ? (answer.status === "done" ? "Done" : answer.status === "declined" ? "Declined" : answer.status) : "Not done";
      return outcomeOf(r.ok, title, answer.message || answer.error || "");
    } catch (e) {
      return { kind: "refused", retry: true, text: "The server could not be reached. Try again." };
    }
  }

  function outcomeOf(ok, title, said) {
    const kind = ok && title === "Done" ? "done" : ok ? "declined" : "refused";
    return { kind, text: [title, said].filter(Boolean).join(": ") };
  }

  // ---- the conversation ----
  function show(item) {
    const li = el("li");
    if (item.kind === "card") li.append(card(item));
    else {
      li.className = "msg " + item.kind;
      li.textContent = item.text;
      if (item.kind === "me") li.setAttribute("aria-label", "You: " + item.text);
    }
    $("transcript").append(li);
    return li;
  }

  async function ask(text) {
    const status = $("status");
    const send = $("send");
    send.disabled = true;
    status.textContent = "Working on it…";
    const mine = { kind: "me", text };
    log.items.push(mine);
    save();
    show(mine);
    let answer;
    try {
      const body = { user_id: "chat page", message: text };
      if (log.conversation) body.conversation_id = log.conversation;
      const r = await fetch("/chat", {
        method: "POST", credentials: "same-origin",
        headers: { ...auth(), "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      answer = await r.json().catch(() => ({ error: `The server answered ${r.status}.` }));
      if (r.status === 404 && log.conversation) log.conversation = null; // that conversation ended: start anew
    } catch (e) {
      answer = { error: "The server could not be reached. Try again." };
    }
    send.disabled = false;
    status.textContent = "";
    const added = [];
    if (answer.error) added.push({ kind: "error", text: answer.error });
    else {
      log.conversation = answer.conversation_id;
      added.push({ kind: "bot", text: answer.answer || "(no answer)" });
      for (const p of answer.pending_actions || []) added.push({ kind: "card", pending: p });
    }
    log.items.push(...added);
    save();
    const shown = added.map(show);
    const firstCard = shown.find((li) => li.querySelector(".card"));
    if (firstCard) {
      status.textContent = "An action is waiting for your approval.";
      firstCard.querySelector(".card").focus(); // read out; Tab reaches Approve next
    } else status.textContent = answer.error ? "Not done." : "Answered.";
    refreshActivity();
  }

  // ---- the activity record ----
  const STEPS = { call: "asked for", held: "waiting for approval", approved: "approved", done: "done",
    declined: "declined", cancelled: "cancelled", failed: "failed", expired: "expired" };

  async function refreshActivity() {
    let found;
    try {
      const r = await fetch("/chat/activity", { headers: auth(), credentials: "same-origin" });
      if (!r.ok) return;
      found = await r.json();
    } catch (e) { return; }
    const list = $("entries");
    list.replaceChildren();
    let day = "";
    for (const e of found.entries || []) {
      const when = new Date(e.timestamp);
      const d = when.toLocaleDateString(undefined, { weekday: "long", month: "short", day: "numeric" });
      if (d !== day) { day = d; list.append(el("li", "day", d)); }
      const li = el("li");
      li.dataset.action = e.action;
      li.dataset.step = e.step;
      const t = el("time", null, when.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }));
      t.dateTime = e.timestamp;
      li.append(t, document.createTextNode(`${e.action} · ${STEPS[e.step] || e.step}${e.status && e.status !== e.step && e.status !== "ok" ? " (" + e.status + ")" : ""}`));
      list.append(li);
    }
    if (!list.children.length) list.append(el("li", null, "Nothing yet."));
  }

  // ---- signing in ----
  function start() {
    $("signin").hidden = true;
    $("conversation").hidden = $("activity").hidden = false;
    $("signout").hidden = mode === "session";
    $("who").textContent = mode === "session" ? "Signed in as " + app.dataset.who : "Signed in with your key";
    for (const item of log.items) show(item);
    refreshActivity();
    $("ask").focus();
  }

  $("signin-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(CREDS, JSON.stringify({ token: $("token").value.trim(), key: $("key").value.trim() }));
    $("token").value = $("key").value = "";
    start();
  });
  $("signout").addEventListener("click", () => {
    sessionStorage.clear();
    location.reload();
  });
  $("composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("ask").value.trim();
    if (!text || $("send").disabled) return;
    $("ask").value = "";
    ask(text);
  });
  $("ask").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      $("composer").requestSubmit();
    }
  });

  if (mode === "session" || creds()) start();
  else {
    $("token-field").hidden = mode !== "token";
    $("token").required = mode === "token";
    $("signin").hidden = false;
    $((mode === "token") ? "token" : "key").focus();
  }
})();
