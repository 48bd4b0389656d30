// wallboard.js - the live wallboard and supervisor console. It holds no figures of its own:
// every number comes from webd (a snapshot, then updates on the live stream, each item
// replacing the one with the same key), so what it shows is what the server computed.
// The only thing computed here is time that passes (waits, time in state) from the
// server's timestamps and clock. Actions go to the JSON API with the session's CSRF token.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    queues: new Map(), agents: new Map(), calls: new Map(), abandoned: new Map(),
    alerts: new Map(), slFormula: "", timeZone: "", dayStart: 0, offset: 0,
  };
  let session = null;
  let lastEventId = "";
  let source = null;
  const dirty = new Set();
  let frame = 0;
  // What tests and the benchmark read: latencies (event time to paint, ms), counters.
  const probe = (window.__wallboard = {
    latencies: [], updates: 0, snapshots: 0, lastEventId: "", connected: false, drops: 0,
  });
  const pending = []; // event timestamps of updates applied but not painted yet

  const SL_NAMES = {
    answered: "Service level = answered within threshold / answered",
    answered_abandoned: "Service level = answered within threshold / (answered + abandoned)",
    offered: "Service level = answered or abandoned within threshold / offered",
  };
  const STATE_LABEL = {
    logged_out: "Logged out", ready: "Ready", reserved: "Ringing", on_call: "On call",
    wrap_up: "Wrap-up", not_ready: "Not ready",
  };
  const PAUSE_REASONS = ["break", "lunch", "meeting", "training", "coaching", "admin", "other"];

  // ---- small helpers ------------------------------------------------------------------

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function now() {
    return Date.now() + state.offset; // the server's clock
  }

  function duration(ms) {
    if (ms < 0) ms = 0;
    const s = Math.floor(ms / 1000);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const mm = String(m).padStart(h ? 2 : 1, "0"), ss = String(r).padStart(2, "0");
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  // Figures in seconds: tenths under a minute (a 0.4 s answer is not "0:00"), m:ss above.
  function seconds(v) {
    if (v === null || v === undefined) return "–";
    return v < 60 ? v.toFixed(1) + " s" : duration(v * 1000);
  }

  function pct(v) {
    return v === null || v === undefined ? "–" : v.toFixed(1) + " %";
  }

  // A figure's text with its unit set smaller: "96.2" + "%".
  function withUnit(node, text) {
    const m = /^(.*?)\s?(%|s)$/.exec(text);
    if (!m) {
      node.textContent = text;
      return node;
    }
    node.textContent = m[1];
    node.append(el("span", "unit", m[2]));
    return node;
  }

  function clockTime(ms) {
    return new Date(ms).toLocaleTimeString([], {
      hour: "2-digit", minute: "2-digit", timeZone: state.timeZone || undefined,
    });
  }

  function ticking(node, since) {
    node.dataset.since = since ? String(since) : "";
    node.textContent = since ? duration(now() - since) : "–";
    return node;
  }

  function toast(message, bad) {
    const t = $("toast");
    t.textContent = message;
    t.className = "toast" + (bad ? " toast-bad" : "");
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => (t.hidden = true), 4000);
  }

  function mark(what) {
    dirty.add(what);
    if (!frame) frame = requestAnimationFrame(render);
  }

  // ---- the stream ---------------------------------------------------------------------

  function setLive(ok, text) {
    const live = $("live");
    live.textContent = text;
    live.className = "live " + (ok ? "live-ok" : "live-wait");
    probe.connected = ok;
  }

  function applySnapshot(doc) {
    state.queues = new Map(doc.queues.map((q) => [q.name, q]));
    state.agents = new Map(doc.agents.map((a) => [a.ext, a]));
    state.calls = new Map(doc.calls.map((c) => [c.call_id, c]));
    state.abandoned = new Map(doc.abandoned.map((a) => [a.call_id + "/" + a.queue, a]));
    state.alerts = new Map(doc.alerts.map((a) => [a.key, a]));
    state.slFormula = doc.sl_formula;
    state.timeZone = doc.time_zone;
    state.dayStart = doc.day_start;
    state.offset = doc.now - Date.now();
    probe.snapshots++;
    ["queues", "agents", "calls", "abandoned", "alerts", "header"].forEach(mark);
  }

  function applyUpdate(m) {
    const v = m.v;
    switch (m.t) {
      case "queue": state.queues.set(v.name, v); mark("queues"); break;
      case "agent": state.agents.set(v.ext, v); mark("agents"); break;
      case "call": state.calls.set(v.call_id, v); mark("calls"); mark("agents"); break;
      case "call_gone": state.calls.delete(v.call_id); mark("calls"); break;
      case "abandoned": state.abandoned.set(v.call_id + "/" + v.queue, v); mark("abandoned"); break;
      case "alert":
        if (v.active) state.alerts.set(v.key, v);
        else state.alerts.delete(v.key);
        mark("alerts"); mark("queues");
        break;
    }
    probe.updates++;
    if (m.ts) pending.push(m.ts);
  }

  function connect() {
    const url = "/api/stream" + (lastEventId ? "?last_event_id=" + encodeURIComponent(lastEventId) : "");
    source = new EventSource(url);
    source.onopen = () => setLive(true, "Live");
    source.addEventListener("snapshot", (e) => {
      lastEventId = probe.lastEventId = e.lastEventId;
      applySnapshot(JSON.parse(e.data));
    });
    source.addEventListener("update", (e) => {
      lastEventId = probe.lastEventId = e.lastEventId;
      applyUpdate(JSON.parse(e.data));
    });
    source.addEventListener("ping", (e) => {
      state.offset = JSON.parse(e.data).now - Date.now();
    });
    source.addEventListener("end", () => {
      source.close();
      window.location.assign("/login");
    });
    source.onerror = () => {
      if (probe.connected) probe.drops++;
      setLive(false, "Reconnecting…");
      if (source.readyState === EventSource.CLOSED) { // refused: logged out, or a proxy error
        source = null;
        fetch("/api/session", { credentials: "same-origin" }).then((r) => {
          if (r.status === 401 || r.status === 403) window.location.assign("/login");
          else setTimeout(connect, 1500);
        }, () => setTimeout(connect, 1500));
      }
    };
  }

  // ---- rendering ------------------------------------------------------------------------

  function render() {
    frame = 0;
    if (dirty.has("header")) renderHeader();
    if (dirty.has("alerts")) renderAlerts();
    if (dirty.has("queues")) renderQueues();
    if (dirty.has("agents")) renderAgents();
    if (dirty.has("calls")) renderCalls();
    if (dirty.has("abandoned")) renderAbandoned();
    dirty.clear();
    if (pending.length) { // measured once the browser has painted this frame
      const stamps = pending.splice(0);
      setTimeout(() => {
        const t = performance.timeOrigin + performance.now();
        for (const ts of stamps) probe.latencies.push(t - ts);
        if (probe.latencies.length > 200000) probe.latencies.splice(0, 100000);
      }, 0);
    }
  }

  function renderHeader() {
    $("sl-formula").textContent = SL_NAMES[state.slFormula] || state.slFormula;
    $("today-label").textContent = "· today since " +
      new Date(state.dayStart).toLocaleDateString([], { timeZone: state.timeZone || undefined }) +
      " 00:00 (" + state.timeZone + ")";
  }

  function renderAlerts() {
    const box = $("alerts");
    box.replaceChildren();
    const alerts = [...state.alerts.values()].sort((a, b) => a.since - b.since);
    for (const a of alerts) box.append(alertChip(a));
    box.hidden = alerts.length === 0;
  }

  function alertChip(a) {
    const text = {
      sl_low: `${a.queue}: service level ${a.value.toFixed(1)} % under target ${a.threshold} %`,
      wait_long: `${a.queue}: a caller has waited over ${duration(a.threshold * 1000)}`,
      call_long: `Agent ${a.agent} (${a.queue}): call longer than ${duration(a.threshold * 1000)}`,
      not_ready_long: `Agent ${a.agent}: not ready longer than ${duration(a.threshold * 1000)}`,
    }[a.alert] || a.alert;
    const chip = el("div", "alert alert-" + a.alert, text);
    chip.dataset.alert = a.alert;
    chip.dataset.queue = a.queue;
    return chip;
  }

  function figure(label, field, value, text, extra) {
    const box = el("div", "fig" + (extra ? " " + extra : ""));
    const v = withUnit(el("div", "fig-value"), String(text));
    v.dataset.field = field;
    v.dataset.value = value === null || value === undefined ? "" : String(value);
    box.append(v, el("div", "fig-label", label));
    return box;
  }

  function slClass(q) {
    const sl = q.today.sl_pct, target = q.rules.sl_target_pct;
    if (sl === null) return "";
    return sl >= target ? "good" : sl >= target - 10 ? "warn" : "bad";
  }

  function queueTile(q) {
    const tile = el("article", "tile");
    tile.dataset.queue = q.name;
    const alerts = [...state.alerts.values()].filter((a) => a.queue === q.name);
    if (alerts.length) tile.classList.add("tile-alert");
    const head = el("header", "tile-head");
    head.append(el("h3", null, q.name), el("span", "muted small", "SL target " + q.rules.sl_target_pct +
      " % in " + q.sl_threshold_s + " s"));
    const live = el("div", "tile-live");
    const waiting = figure("waiting", "waiting", q.waiting, q.waiting, "fig-big" + (q.waiting ? " hot" : ""));
    const longest = el("div", "fig fig-big");
    const lv = ticking(el("div", "fig-value"), q.oldest);
    lv.dataset.field = "oldest";
    longest.append(lv, el("div", "fig-label", "longest wait"));
    const sl = figure("service level", "sl_pct", q.today.sl_pct, pct(q.today.sl_pct),
      "fig-big " + slClass(q));
    live.append(waiting, longest, sl);

    const a = q.agents;
    const staff = el("div", "staff");
    const pill = (cls, label, field, n) => {
      const p = el("span", "staff-pill " + cls);
      const num = el("b", null, n);
      num.dataset.field = field;
      num.dataset.value = String(n);
      p.append(num, document.createTextNode(" " + label));
      return p;
    };
    staff.append(pill("st-ready", "ready", "ready", a.ready));
    if (a.reserved) staff.append(pill("st-reserved", "ringing", "reserved", a.reserved));
    staff.append(pill("st-on_call", "on call", "on_call", a.on_call),
      pill("st-wrap_up", "wrap-up", "wrap_up", a.wrap_up),
      pill("st-not_ready", "not ready", "not_ready", a.not_ready),
      pill("st-logged", "logged in", "logged_in", a.logged_in));
    const reasons = Object.entries(a.not_ready_reasons || {});
    const why = el("div", "reasons muted small",
      reasons.length ? "Not ready: " + reasons.map(([r, n]) => r + " " + n).join(", ") : "");

    const t = q.today;
    const today = el("div", "today");
    today.append(
      figure("offered", "offered", t.offered, t.offered),
      figure("answered", "answered", t.answered, t.answered),
      figure("abandoned", "abandoned", t.abandoned, t.abandoned),
      figure("abandon rate", "abandon_rate_pct", t.abandon_rate_pct, pct(t.abandon_rate_pct)),
      figure("ASA", "asa_s", t.asa_s, seconds(t.asa_s)),
      figure("AHT", "aht_s", t.aht_s, seconds(t.aht_s)),
      figure("overflowed", "overflowed", t.overflowed, t.overflowed),
      figure("callbacks", "callbacks_pending", t.callbacks_pending, t.callbacks_pending));
    tile.append(head, live, staff, why, today);
    return tile;
  }

  function renderQueues() {
    const box = $("queues");
    const list = [...state.queues.values()].sort((a, b) => a.name.localeCompare(b.name));
    box.replaceChildren(...list.map(queueTile));
    $("queues-empty").hidden = list.length > 0;
  }

  function actionButton(label, cls, fn) {
    const b = el("button", "btn btn-small " + (cls || ""), label);
    b.type = "button";
    b.addEventListener("click", fn);
    return b;
  }

  function agentRow(a) {
    const tr = el("tr");
    tr.dataset.agent = a.ext;
    tr.dataset.state = a.state;
    const who = el("td");
    who.append(el("div", "strong", a.name || "Agent " + a.ext), el("div", "muted small", a.ext));
    const st = el("td");
    const pillEl = el("span", "state st-" + a.state, STATE_LABEL[a.state] || a.state);
    pillEl.dataset.field = "state";
    st.append(pillEl);
    if (a.state === "not_ready" && a.reason) st.append(el("span", "muted small reason", a.reason));
    const since = el("td", "mono");
    ticking(since, a.state === "logged_out" ? 0 : a.since);
    const call = el("td");
    if (a.call) {
      call.dataset.call = a.call.call_id;
      call.append(el("span", "strong", a.call.caller || "unknown"),
        el("span", "muted small", " · " + a.call.queue + " · "));
      call.append(ticking(el("span", "mono small"), a.call.since));
      call.append(actionButton("Hang up", "btn-danger", () =>
        post("/api/calls/" + encodeURIComponent(a.call.call_id) + "/hangup", {}, "Call hung up")));
    } else {
      call.append(el("span", "muted", "–"));
    }
    const calls = el("td", "num", a.today.calls);
    calls.dataset.field = "calls";
    const talk = el("td", "num mono", seconds(a.today.talk_s));
    talk.dataset.field = "talk_s";
    talk.dataset.value = String(a.today.talk_s);
    const act = el("td", "actions");
    const path = "/api/agents/" + encodeURIComponent(a.ext) + "/state";
    if (a.state === "logged_out") {
      act.append(actionButton("Log in", "", () => post(path, { state: "login" }, a.ext + " logged in")));
    } else {
      if (a.state === "not_ready" || a.state === "wrap_up")
        act.append(actionButton("Ready", "btn-ok", () => post(path, { state: "ready" }, a.ext + " is ready")));
      if (a.state !== "not_ready") {
        const sel = el("select", "select-small");
        sel.append(new Option("Pause…", ""));
        for (const r of PAUSE_REASONS) sel.append(new Option(r, r));
        sel.addEventListener("change", () => {
          if (sel.value) post(path, { state: "pause", reason: sel.value }, a.ext + " paused: " + sel.value);
        });
        act.append(sel);
      }
      act.append(actionButton("Log out", "btn-ghost", () => post(path, { state: "logout" }, a.ext + " logged out")));
    }
    tr.append(who, st, since, call, calls, talk, act);
    return tr;
  }

  function renderAgents() {
    const body = $("agents");
    const order = { on_call: 0, reserved: 1, wrap_up: 2, ready: 3, not_ready: 4, logged_out: 5 };
    const list = [...state.agents.values()].sort((a, b) =>
      (order[a.state] - order[b.state]) || a.ext.localeCompare(b.ext));
    body.replaceChildren(...list.map(agentRow));
    $("agents-empty").hidden = list.length > 0;
  }

  function callRow(c) {
    const tr = el("tr");
    tr.dataset.call = c.call_id;
    tr.dataset.state = c.state;
    const who = el("td");
    who.append(el("span", "strong", c.caller || "unknown"));
    if (c.state === "ringing") who.append(el("span", "badge badge-ring", "ringing " + c.agent));
    if (c.state === "callback") who.append(el("span", "badge badge-cb", "callback"));
    const queue = el("td", null, c.queue);
    const wait = ticking(el("td", "mono"), c.entered);
    const prio = el("td", "num", c.priority);
    const act = el("td", "actions");
    const base = "/api/calls/" + encodeURIComponent(c.call_id);
    if (c.state === "waiting") {
      const sel = el("select", "select-small");
      sel.append(new Option("Move to…", ""));
      for (const q of [...state.queues.keys()].sort())
        if (q !== c.queue) sel.append(new Option(q, q));
      sel.addEventListener("change", () => {
        if (sel.value) post(base + "/move", { queue: sel.value }, "Call moved to " + sel.value);
      });
      act.append(sel, actionButton("Priority +10", "", () =>
        post(base + "/move", { priority: Math.min(100, c.priority + 10) }, "Priority raised")));
    }
    if (c.state !== "callback")
      act.append(actionButton("Hang up", "btn-danger", () => post(base + "/hangup", {}, "Call hung up")));
    tr.append(who, queue, wait, prio, act);
    return tr;
  }

  function renderCalls() {
    const list = [...state.calls.values()].filter((c) => c.state !== "talking")
      .sort((a, b) => (b.priority - a.priority) || (a.entered - b.entered));
    $("calls").replaceChildren(...list.map(callRow));
    $("calls-empty").hidden = list.length > 0;
  }

  function abandonedRow(a) {
    const tr = el("tr");
    tr.dataset.abandoned = a.call_id;
    const act = el("td", "actions");
    if (a.called_back) {
      act.append(el("span", "badge badge-cb", "callback scheduled"));
    } else if (a.caller) {
      act.append(actionButton("Call back", "btn-ok", () =>
        post("/api/callbacks", { queue: a.queue, number: a.caller }, "Callback to " + a.caller + " scheduled")));
    }
    const waited = el("td", "mono", seconds(a.wait_s));
    waited.dataset.value = String(a.wait_s);
    tr.append(el("td", "mono", clockTime(a.at)), el("td", "strong", a.caller || "unknown"),
      el("td", null, a.queue), waited, act);
    return tr;
  }

  function renderAbandoned() {
    const list = [...state.abandoned.values()].sort((a, b) => b.at - a.at).slice(0, 50);
    $("abandoned").replaceChildren(...list.map(abandonedRow));
    $("abandoned-empty").hidden = list.length > 0;
  }

  function tick() {
    const t = now();
    for (const node of document.querySelectorAll("[data-since]")) {
      const since = Number(node.dataset.since);
      if (since) node.textContent = duration(t - since);
    }
    $("clock").textContent = new Date(t).toLocaleString([], {
      weekday: "short", hour: "2-digit", minute: "2-digit", second: "2-digit",
      timeZone: state.timeZone || undefined,
    });
  }

  // ---- actions ----------------------------------------------------------------------------

  async function post(path, body, done) {
    try {
      const r = await fetch(path, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": session ? session.csrf : "" },
        body: JSON.stringify(body),
      });
      if (r.status === 401) { window.location.assign("/login"); return; }
      const doc = await r.json().catch(() => ({}));
      if (r.ok) toast(done);
      else toast((doc.error && doc.error.message) || "Refused (" + r.status + ")", true);
    } catch (e) {
      toast("Cannot reach the server: " + e.message, true);
    }
  }

  async function start() {
    const r = await fetch("/api/session", { credentials: "same-origin" });
    if (r.status === 401) { window.location.assign("/login"); return; }
    session = await r.json();
    $("who").textContent = session.name + " · " + session.role +
      (session.queues ? " · " + session.queues.join(", ") : " · every queue");
    $("logout").addEventListener("click", async () => {
      await fetch("/api/logout", {
        method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": session.csrf },
      });
      window.location.assign("/login");
    });
    connect();
    setInterval(tick, 1000);
    tick();
  }

  start();
})();
