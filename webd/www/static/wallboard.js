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
  // What changed since the last frame: whole lists ("queues"...) after a snapshot, else the
  // keys of the tiles and rows to redraw, so a busy centre redraws only what moved.
  const dirty = new Set();
  const dirtyKeys = { queues: new Set(), agents: new Set() };
  const tiles = new Map(), rows = new Map(); // queue name -> tile, agent ext -> row
  let frame = 0;
  // What tests and the benchmark read: latencies (event time to paint, ms), counters.
  const probe = (window.__wallboard = {
    latencies: [], updates: 0, snapshots: 0, lastEventId: "", connected: false, drops: 0,
    frames: 0, renderMs: 0,
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

  // DOM writes only when the value differs: an unchanged tile costs the browser nothing.
  function setText(node, text) {
    text = String(text);
    if (node.textContent !== text) node.textContent = text;
  }

  function setClass(node, cls) {
    if (node.className !== cls) node.className = cls;
  }

  function setData(node, key, value) {
    value = String(value);
    if (node.dataset[key] !== value) node.dataset[key] = value;
  }

  function ticking(node, since) {
    setData(node, "since", since ? since : "");
    setText(node, since ? duration(now() - since) : "–");
    return node;
  }

  const toast = window.ccPage.toast;

  function mark(what, key) {
    if (key !== undefined && dirtyKeys[what]) dirtyKeys[what].add(key);
    else dirty.add(what);
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
      case "queue": state.queues.set(v.name, v); mark("queues", v.name); break;
      case "agent": state.agents.set(v.ext, v); mark("agents", v.ext); break;
      case "call": state.calls.set(v.call_id, v); mark("calls"); break;
      case "call_gone": state.calls.delete(v.call_id); mark("calls"); break;
      case "abandoned": state.abandoned.set(v.call_id + "/" + v.queue, v); mark("abandoned"); break;
      case "alert":
        if (v.active) state.alerts.set(v.key, v);
        else state.alerts.delete(v.key);
        mark("alerts"); mark("queues", v.queue);
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
    const t0 = performance.now();
    if (dirty.has("header")) renderHeader();
    if (dirty.has("alerts")) renderAlerts();
    if (dirty.has("queues")) renderQueues();
    else redraw(dirtyKeys.queues, tiles, state.queues, queueTile, renderQueues);
    if (dirty.has("agents")) renderAgents();
    else redraw(dirtyKeys.agents, rows, state.agents, agentRow, renderAgents);
    if (dirty.has("calls")) renderCalls();
    if (dirty.has("abandoned")) renderAbandoned();
    dirty.clear();
    dirtyKeys.queues.clear();
    dirtyKeys.agents.clear();
    probe.frames++;
    probe.renderMs += performance.now() - t0;
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

  // A figure whose value node the tile keeps, to set again when the queue changes.
  function figure(label, field, extra) {
    const box = el("div", "fig" + (extra ? " " + extra : ""));
    const v = el("div", "fig-value");
    v.dataset.field = field;
    box.append(v, el("div", "fig-label", label));
    return { box, v };
  }

  function setFigure(v, value, text) {
    const raw = value === null || value === undefined ? "" : String(value);
    if (v.dataset.value === raw && v.dataset.text === text) return;
    v.dataset.value = raw;
    v.dataset.text = text;
    withUnit(v, text);
  }

  function slClass(q) {
    const sl = q.today.sl_pct, target = q.rules.sl_target_pct;
    if (sl === null) return "";
    return sl >= target ? "good" : sl >= target - 10 ? "warn" : "bad";
  }

  const TODAY = [
    ["offered", "offered", (t) => [t.offered, t.offered]],
    ["answered", "answered", (t) => [t.answered, t.answered]],
    ["abandoned", "abandoned", (t) => [t.abandoned, t.abandoned]],
    ["abandon rate", "abandon_rate_pct", (t) => [t.abandon_rate_pct, pct(t.abandon_rate_pct)]],
    ["ASA", "asa_s", (t) => [t.asa_s, seconds(t.asa_s)]],
    ["AHT", "aht_s", (t) => [t.aht_s, seconds(t.aht_s)]],
    ["overflowed", "overflowed", (t) => [t.overflowed, t.overflowed]],
    ["callbacks", "callbacks_pending", (t) => [t.callbacks_pending, t.callbacks_pending]],
  ];
  const STAFF = [["st-ready", "ready", "ready"], ["st-reserved", "ringing", "reserved"],
    ["st-on_call", "on call", "on_call"], ["st-wrap_up", "wrap-up", "wrap_up"],
    ["st-not_ready", "not ready", "not_ready"], ["st-logged", "logged in", "logged_in"]];

  // A queue's tile is built once; an update only sets what it shows (set() below), so a
  // busy centre changes text, not the page's structure.
  function queueTile(q) {
    const tile = el("article", "tile");
    tile.dataset.queue = q.name;
    const head = el("header", "tile-head");
    const target = el("span", "muted small");
    head.append(el("h3", null, q.name), target);
    const live = el("div", "tile-live");
    const waiting = figure("waiting", "waiting", "fig-big");
    const longest = figure("longest wait", "oldest", "fig-big");
    const sl = figure("service level", "sl_pct", "fig-big");
    live.append(waiting.box, longest.box, sl.box);
    const staff = el("div", "staff");
    const pills = {};
    for (const [cls, label, field] of STAFF) {
      const p = el("span", "staff-pill " + cls);
      const num = el("b");
      num.dataset.field = field;
      p.append(num, document.createTextNode(" " + label));
      staff.append(p);
      pills[field] = { p, num };
    }
    const why = el("div", "reasons muted small");
    const today = el("div", "today");
    const figs = TODAY.map(([label, field, get]) => {
      const f = figure(label, field);
      today.append(f.box);
      return { v: f.v, get };
    });
    tile.append(head, live, staff, why, today);
    tile._set = (q) => {
      setClass(tile, [...state.alerts.values()].some((a) => a.queue === q.name)
        ? "tile tile-alert" : "tile");
      setText(target, "SL target " + q.rules.sl_target_pct + " % in " + q.sl_threshold_s + " s");
      setFigure(waiting.v, q.waiting, String(q.waiting));
      setClass(waiting.box, "fig fig-big" + (q.waiting > 0 ? " hot" : ""));
      ticking(longest.v, q.oldest);
      setFigure(sl.v, q.today.sl_pct, pct(q.today.sl_pct));
      setClass(sl.box, "fig fig-big " + slClass(q));
      for (const [, , field] of STAFF) {
        const n = q.agents[field];
        setText(pills[field].num, n);
        setData(pills[field].num, "value", n);
        const hide = field === "reserved" && !n;
        if (pills[field].p.hidden !== hide) pills[field].p.hidden = hide;
      }
      const reasons = Object.entries(q.agents.not_ready_reasons || {});
      setText(why, reasons.length ? "Not ready: " + reasons.map(([r, n]) => r + " " + n).join(", ") : "");
      for (const f of figs) {
        const [value, text] = f.get(q.today);
        setFigure(f.v, value, String(text));
      }
    };
    tile._set(q);
    return tile;
  }

  // Set the elements of the keys that changed; a key not drawn yet redraws the list.
  function redraw(keys, drawn, items, make, whole) {
    for (const key of keys) {
      const node = drawn.get(key);
      if (!node) return whole();
      node._set(items.get(key));
    }
  }

  function renderQueues() {
    const list = [...state.queues.values()].sort((a, b) => a.name.localeCompare(b.name));
    tiles.clear();
    $("queues").replaceChildren(...list.map((q) => {
      const t = queueTile(q);
      tiles.set(q.name, t);
      return t;
    }));
    $("queues-empty").hidden = list.length > 0;
  }

  function actionButton(label, cls, fn) {
    const b = el("button", "btn btn-small " + (cls || ""), label);
    b.type = "button";
    b.addEventListener("click", fn);
    return b;
  }

  function agentActions(a) {
    const act = el("div", "cell actions");
    const path = "/api/agents/" + encodeURIComponent(a.ext) + "/state";
    if (a.state === "logged_out") {
      act.append(actionButton("Log in", "", () => post(path, { state: "login" }, a.ext + " logged in")));
      return act;
    }
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
    return act;
  }

  function agentCall(a) {
    const call = el("div", "cell");
    if (!a.call) {
      call.append(el("span", "muted", "–"));
      return call;
    }
    call.dataset.call = a.call.call_id;
    call.append(el("span", "strong", a.call.caller || "unknown"),
      el("span", "muted small", " · " + a.call.queue + " · "));
    call.append(ticking(el("span", "mono small"), a.call.since));
    call.append(actionButton("Hang up", "btn-danger", () =>
      post("/api/calls/" + encodeURIComponent(a.call.call_id) + "/hangup", {}, "Call hung up")));
    call.append(monitorSelect(a));
    return call;
  }

  // Listen / whisper / barge: the supervisor's own phone rings, then joins in that mode.
  function monitorSelect(a) {
    const sel = el("select", "select-small");
    const phone = session && session.ext;
    sel.append(new Option(phone ? "Monitor…" : "Monitor (no phone)", ""));
    for (const [mode, label] of [["listen", "Listen"], ["whisper", "Whisper"], ["barge", "Barge"]])
      sel.append(new Option(label, mode));
    sel.disabled = !phone;
    if (!phone) sel.title = "Your web user has no extension to ring";
    sel.addEventListener("change", () => {
      if (!sel.value) return;
      post("/api/agents/" + encodeURIComponent(a.ext) + "/monitor", { mode: sel.value },
        "Your phone " + phone + " rings: answer to " + sel.value + " to " + a.ext);
      sel.value = "";
    });
    return sel;
  }

  // An agent's row, built once; set() redraws a cell only when what it shows changed. Rows
  // are grid boxes the browser skips while they are out of sight (content-visibility).
  function agentRow(a) {
    const tr = el("div", "agent-row");
    tr.setAttribute("role", "row");
    tr.dataset.agent = a.ext;
    const who = el("div", "cell");
    const name = el("div", "strong");
    const monitored = el("span", "badge badge-monitored");
    monitored.dataset.field = "monitored";
    who.append(name, el("div", "muted small", a.ext), monitored);
    const st = el("div", "cell");
    const pillEl = el("span");
    pillEl.dataset.field = "state";
    const reason = el("span", "muted small reason");
    st.append(pillEl, reason);
    const since = el("div", "cell mono");
    let call = el("div", "cell"), act = el("div", "cell");
    const calls = el("div", "cell num");
    calls.dataset.field = "calls";
    const talk = el("div", "cell num mono");
    talk.dataset.field = "talk_s";
    tr.append(who, st, since, call, calls, talk, act);
    let shown = {};
    tr._set = (a) => {
      setData(tr, "state", a.state);
      setText(name, a.name || "Agent " + a.ext);
      setClass(pillEl, "state st-" + a.state);
      setText(pillEl, STATE_LABEL[a.state] || a.state);
      setText(reason, a.state === "not_ready" ? a.reason : "");
      // a supervisor listening in, on a queue call or any other
      setText(monitored, a.monitored ? a.monitored.mode + " · " + a.monitored.by : "");
      monitored.title = a.monitored ? "Monitored by " + a.monitored.by + " (" + a.monitored.mode + ")" : "";
      monitored.hidden = !a.monitored;
      ticking(since, a.state === "logged_out" ? 0 : a.since);
      const callKey = a.call ? a.call.call_id + "/" + a.call.since : "";
      if (callKey !== shown.call) {
        const fresh = agentCall(a);
        call.replaceWith(fresh);
        call = fresh;
      }
      if (a.state !== shown.state) {
        const fresh = agentActions(a);
        act.replaceWith(fresh);
        act = fresh;
      }
      setText(calls, a.today.calls);
      setText(talk, seconds(a.today.talk_s));
      setData(talk, "value", a.today.talk_s);
      shown = { call: callKey, state: a.state };
    };
    tr._set(a);
    return tr;
  }

  // Agents in a fixed order (name, then extension), so a row stays where the eye left it.
  function renderAgents() {
    const list = [...state.agents.values()].sort((a, b) =>
      (a.name || "").localeCompare(b.name || "") || a.ext.localeCompare(b.ext));
    rows.clear();
    $("agents").replaceChildren(...list.map((a) => {
      const r = agentRow(a);
      rows.set(a.ext, r);
      return r;
    }));
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
      if (since) setText(node, duration(t - since));
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
    session = await window.ccPage.signedIn();
    if (!session) return;
    connect();
    setInterval(tick, 1000);
    tick();
  }

  start();
})();
