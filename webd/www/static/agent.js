// agent.js - the agent desktop. The agent's state is what acdd says: it arrives on the same
// live stream as the wallboard's (a snapshot, then updates), so a change made with a
// feature code or by a supervisor shows at once. Buttons call /api/me/... (always this
// session's own extension) with the session's CSRF token; the screen pop, the wrap-up and
// the day's figures are read from webd when the state says a call was offered.
"use strict";

(function () {
  const { $, el, toast, api } = window.ccPage;
  const STATE_LABEL = {
    logged_out: "Logged out", ready: "Ready", reserved: "Ringing", on_call: "On call",
    wrap_up: "Wrap-up", not_ready: "Not ready",
  };
  const OUTCOME = { answered: "Answered", abandoned: "Abandoned", overflowed: "Overflowed", open: "Open" };
  let session = null, me = null, agent = null, pop = null, source = null, lastEventId = "";
  let offset = 0, popTry = 0, popTimer = 0, todayTimer = 0, popWant = null, wrapCampaign = false;
  // The call controls' own state: held by me, and a consultation in progress (its target,
  // its call, whether it answered). Both end with the call.
  let held = false, consult = null, controlsCall = null;
  // A call to my extension outside the queues (dialled straight to it, or my click-to-dial)
  // that I talk in: webd's "call" events; acdd's state knows queue calls only.
  let direct = null;
  // What tests and the benchmark read: pops shown, and when each call's pop was painted.
  const probe = (window.__desk = { connected: false, pops: 0, popAt: 0, offeredAt: 0, painted: {} });

  function duration(ms) {
    if (ms < 0) ms = 0;
    const s = Math.floor(ms / 1000);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const mm = String(m).padStart(h ? 2 : 1, "0"), ss = String(r).padStart(2, "0");
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  function seconds(v) {
    if (v === null || v === undefined) return "–";
    v = Number(v);
    return v < 60 ? v.toFixed(1) + " s" : duration(v * 1000);
  }

  async function act(path, body, done) {
    try {
      const r = await api("POST", path, body);
      if (r.ok) { if (done) toast(done); return r; }
      toast((r.doc.error && r.doc.error.message) || "Refused (" + r.status + ")", true);
      return r;
    } catch (e) {
      toast("Cannot reach the server: " + e.message, true);
      return null;
    }
  }

  // ---- my state -----------------------------------------------------------------------------

  function renderState() {
    const a = agent, st = a ? a.state : "logged_out";
    const badge = $("my-state");
    badge.textContent = a ? STATE_LABEL[st] || st : "Not an agent";
    badge.className = "state state-big st-" + st;
    badge.dataset.state = a ? st : "";
    $("my-reason").textContent = a && a.reason && st !== "ready" ? a.reason : "";
    $("my-since").dataset.since = a && a.since ? a.since : "";
    $("my-queues").textContent = a && a.queues.length ? "Queues: " + a.queues.join(", ") : "";
    const out = st === "logged_out";
    $("btn-login").hidden = !out;
    $("btn-logout").hidden = out;
    $("btn-ready").hidden = out || st === "wrap_up";
    $("btn-ready").disabled = st === "ready" || st === "reserved" || st === "on_call";
    $("btn-endwrap").hidden = st !== "wrap_up";
    $("btn-pause").disabled = out || !$("sel-reason").value;
    $("btn-hangup").disabled = !myCall();
    $("btn-rec-pause").disabled = $("btn-rec-resume").disabled = !(a && a.call && st === "on_call");
    renderControls();
    if (pop) renderPopBadge();
    document.body.dataset.state = st;
  }

  // ---- call controls: hold, blind transfer, consult then complete or cancel ---------------

  function myCall() {
    if (agent && agent.state === "on_call" && agent.call) return agent.call.call_id;
    return direct && direct.state === "talking" ? direct.call_id : null;
  }

  function onCall(m) {
    if (m.state === "talking") direct = { call_id: m.call_id, state: "talking" };
    else if (direct && direct.call_id === m.call_id) direct = null;
    renderState();
    // a preview dial's pop can come before dialerd has tied the call to its lead: by the
    // time the agent talks it has, so ask again for the campaign's wrap-up codes
    if (m.state === "talking" && pop && pop.call_id === m.call_id && !pop.campaign)
      loadPop(true, m.call_id);
  }

  function renderControls() {
    const call = myCall();
    if (call !== controlsCall) { // a new call, or none: nothing held, nothing consulted
      controlsCall = call;
      held = false;
      consult = null;
      $("xfer-target").value = "";
    }
    const talking = !!call, consulting = !!consult;
    const hold = $("btn-hold");
    hold.disabled = !talking || consulting;
    hold.textContent = held ? "Resume" : "Hold";
    hold.setAttribute("aria-pressed", held ? "true" : "false");
    $("held-badge").hidden = !(talking && held);
    $("xfer-target").disabled = !talking || consulting;
    $("btn-transfer").disabled = $("btn-consult").disabled = !talking || consulting;
    const bar = $("consult-bar");
    bar.hidden = !consulting;
    bar.dataset.state = consulting ? consult.state : "";
    if (consulting) {
      $("consult-status").textContent = consult.state === "answered"
        ? "Talking to " + consult.target + " — the caller is on hold"
        : "Calling " + consult.target + "… the caller is on hold";
    }
    $("btn-consult-complete").disabled = !consulting || consult.state !== "answered";
    document.body.dataset.held = talking && held ? "1" : "";
  }

  // I left the call (transferred): a direct call is no longer mine; a queue call's end
  // comes from acdd.
  function left(call) {
    if (direct && direct.call_id === call) direct = null;
    renderState();
  }

  function xferTarget() {
    const t = $("xfer-target").value.trim();
    if (!t) { toast("Type an extension, queue number or phone number first", true); return null; }
    return t;
  }

  async function hold() {
    const call = myCall();
    if (!call) return;
    const r = await act(held ? "/api/me/resume" : "/api/me/hold", { call_id: call },
      held ? "Caller back on the line" : "Caller on hold");
    if (r && r.ok && myCall() === call) { held = !!r.doc.held; renderControls(); }
  }

  async function transfer() {
    const call = myCall(), target = xferTarget();
    if (!call || !target) return;
    const r = await act("/api/me/transfer", { call_id: call, target }, "Transferred to " + target);
    if (r && r.ok) left(call);
  }

  async function consultStart() {
    const call = myCall(), target = xferTarget();
    if (!call || !target) return;
    const r = await act("/api/me/consult", { call_id: call, target }, "Calling " + target + "…");
    if (r && r.ok && myCall() === call) {
      held = true;
      consult = { id: r.doc.consult_call_id, target, state: "ringing" };
      const seen = consultSeen.get(consult.id);
      if (seen) onConsult({ consult_call_id: consult.id, state: seen });
      renderControls();
    }
  }

  // The consultation's state may come before the reply that names it: kept by id.
  const consultSeen = new Map();

  function onConsult(m) {
    consultSeen.set(m.consult_call_id, m.state);
    if (consultSeen.size > 20) consultSeen.delete(consultSeen.keys().next().value);
    if (!consult || consult.id !== m.consult_call_id) return;
    if (m.state === "answered") consult.state = "answered";
    else { consult = null; toast("The consultation ended: the caller is still on hold", true); }
    renderControls();
  }

  async function consultEnd(complete) {
    const call = myCall();
    if (!call || !consult) return;
    const r = await act(complete ? "/api/me/consult/complete" : "/api/me/consult/cancel",
      { call_id: call }, complete ? "Transferred to " + consult.target : "Back with the caller");
    if (r && r.ok) {
      consult = null;
      held = false;
      if (complete) left(call);
      renderControls();
    }
  }

  function onAgent(a) {
    const before = agent ? agent.state : "";
    agent = a;
    renderState();
    if (a.state === "reserved" && before !== "reserved") loadPop(true);
    else if (a.state === "on_call" && before !== "on_call") loadPop(true);
    if (a.state !== before) {
      clearTimeout(todayTimer);
      todayTimer = setTimeout(() => { loadToday(); loadRecordings(); }, 600);
    }
  }

  // ---- the screen pop -------------------------------------------------------------------------

  // The offer and the state change are two events: ask again until the pop is the new call.
  // webd's "pop" event names the call (want); a state change alone does not.
  async function loadPop(fresh, want) {
    clearTimeout(popTimer);
    if (fresh) { popTry = 0; popWant = want || null; }
    const previous = pop ? pop.call_id : null;
    let r;
    try {
      r = await api("GET", "/api/me/pop");
    } catch (e) {
      return;
    }
    const ringing = agent && (agent.state === "reserved" || agent.state === "on_call");
    const wanted = popWant || (agent && agent.call ? agent.call.call_id : null);
    const stale = !r.ok || (wanted ? r.doc.call_id !== wanted : r.doc.call_id === previous);
    if (stale && popTry++ < 20 && (popWant || ringing)) {
      popTimer = setTimeout(() => loadPop(false), 250);
      return;
    }
    if (!r.ok) return;
    showPop(r.doc);
    // the IVR's path reaches Postgres a moment after the offer: look again while it rings
    if (!(r.doc.ivr_path || []).length && popTry < 24 && agent && agent.state === "reserved") {
      popTry += 2;
      popTimer = setTimeout(() => loadPop(false), 700);
    }
  }

  function kv(dl, obj, skip) {
    dl.replaceChildren();
    let n = 0;
    for (const [k, v] of Object.entries(obj || {})) {
      if (skip && skip.includes(k)) continue;
      if (v === null || v === "" || typeof v === "object") continue;
      dl.append(el("dt", null, k.replace(/_/g, " ")), el("dd", null, v));
      dl.lastChild.dataset.key = k;
      n++;
    }
    return n;
  }

  function renderPopBadge() {
    const b = $("pop-badge");
    if (pop.direct) {
      b.textContent = "Direct call";
      b.className = "state st-reserved";
      return;
    }
    const mine = agent && agent.call && agent.call.call_id === pop.call_id;
    const st = mine ? agent.state : agent && agent.state === "reserved" ? "reserved" : "wrap_up";
    b.textContent = mine || st === "reserved" ? STATE_LABEL[st] : "Ended";
    b.className = "state st-" + (mine || st === "reserved" ? st : "logged_out");
  }

  function showPop(p) {
    const isNew = !pop || pop.call_id !== p.call_id;
    pop = p;
    probe.pops++;
    probe.popAt = Date.now();
    const box = $("pop");
    box.hidden = false;
    $("pop-empty").hidden = true;
    box.dataset.callId = p.call_id;
    $("pop-name").textContent = p.caller_name || (p.customer && p.customer.name) || "Unknown caller";
    $("pop-caller").textContent = p.caller;
    $("pop-queue").textContent = p.queue || "none (direct)";
    $("pop-wait").textContent = p.wait_s === null ? "–" : seconds(p.wait_s);
    renderPopBadge();
    const c = p.customer;
    const ncust = c ? kv($("pop-customer"), Object.assign({}, c, c.data || {}), ["data"]) : 0;
    if (!c) $("pop-customer").replaceChildren();
    $("pop-customer-none").hidden = ncust > 0;
    const path = (p.ivr_path || []).map((s) => s.node + (s.input ? "(" + s.input + ")" : ""));
    $("pop-path").textContent = path.length ? path.join(" › ") : "No IVR steps recorded for this call.";
    kv($("pop-vars"), p.variables);
    const body = $("pop-history");
    body.replaceChildren();
    for (const h of p.history || []) {
      const tr = el("tr");
      tr.dataset.history = h.call_id;
      tr.append(el("td", "mono", new Date(h.at).toLocaleString([], {
        year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      })), el("td", null, h.queue), el("td", null, h.agent || "–"),
      el("td", null, OUTCOME[h.outcome] || h.outcome),
      el("td", "strong", h.disposition_label || h.disposition || "–"), el("td", "notes", h.notes || ""));
      tr.children[4].dataset.code = h.disposition || "";
      body.append(tr);
    }
    $("pop-history-none").hidden = (p.history || []).length > 0;
    if (!isNew && p.campaign && !wrapCampaign) fillWrap(p, true); // its codes came late
    if (isNew) {
      fillWrap(p);
      const id = p.call_id;
      requestAnimationFrame(() => setTimeout(() => { probe.painted[id] = Date.now(); }, 0));
    }
  }

  function queueInfo(name) {
    return (me && me.queues.find((q) => q.queue === name)) || { codes: [], code_required: false };
  }

  // A campaign's call offers the campaign's dispositions first (those that put the number
  // on a do-not-call list say so), then its queue's codes; the API takes either.
  // keep: the agent may have picked a code or typed notes already; they stay.
  function fillWrap(p, keep) {
    const q = queueInfo(p.queue);
    const camp = p.campaign && p.campaign.codes && p.campaign.codes.length ? p.campaign : null;
    const sel = $("wrap-code");
    const picked = sel.value;
    wrapCampaign = !!p.campaign;
    sel.replaceChildren(el("option", null, q.codes.length || camp ? "— disposition —"
      : p.direct ? "No codes for direct calls: notes only" : "No codes for this queue"));
    sel.firstChild.value = "";
    const option = (c, label) => {
      const o = el("option", null, label);
      o.value = c.code;
      return o;
    };
    if (camp) {
      const g = el("optgroup");
      g.label = "Campaign " + camp.name;
      g.dataset.campaign = camp.name;
      for (const c of camp.codes) g.append(option(c, c.label + (c.adds_dnc ? " (do not call)" : "")));
      sel.append(g);
    }
    const parent = camp && q.codes.length ? el("optgroup") : sel;
    if (parent !== sel) {
      parent.label = "Queue " + p.queue;
      sel.append(parent);
    }
    for (const c of q.codes) parent.append(option(c, c.label));
    if (keep) {
      sel.value = picked;
      return;
    }
    sel.value = p.wrapup && p.wrapup.code ? p.wrapup.code : "";
    $("wrap-notes").value = p.wrapup ? p.wrapup.notes : "";
    $("wrap-required").hidden = !q.code_required;
    $("wrap-saved").hidden = !p.wrapup;
  }

  // ---- my day -------------------------------------------------------------------------------

  async function loadToday() {
    let r;
    try {
      r = await api("GET", "/api/me/today");
    } catch (e) {
      return;
    }
    if (!r.ok) return;
    const d = r.doc;
    document.querySelector('[data-today="handled"]').textContent = d.handled ?? 0;
    document.querySelector('[data-today="aht_s"]').textContent = seconds(d.aht_s);
    document.querySelector('[data-today="avg_talk_s"]').textContent = seconds(d.avg_talk_s);
    const box = $("today-states");
    box.replaceChildren();
    for (const st of ["ready", "on_call", "wrap_up", "not_ready", "reserved"]) {
      const v = d.state_s ? d.state_s[st] : null;
      if (v === null || v === undefined) continue;
      const pill = el("span", "staff-pill st-" + st);
      pill.dataset.stateS = st;
      pill.append(STATE_LABEL[st] + " ", el("b", null, duration(v * 1000)));
      box.append(pill);
    }
  }

  // ---- my recordings ---------------------------------------------------------------------------

  async function loadRecordings() {
    let r;
    try {
      r = await api("GET", "/api/me/recordings?limit=10");
    } catch (e) {
      return;
    }
    if (!r.ok) return;
    const body = $("recs");
    body.replaceChildren();
    for (const x of r.doc.recordings) {
      const tr = el("tr");
      tr.dataset.recording = x.id;
      const play = el("button", "btn btn-small", "Play");
      play.type = "button";
      play.addEventListener("click", () => {
        const p = $("player");
        p.hidden = false;
        p.src = "/api/recordings/" + x.id + "/audio";
        p.play().catch(() => {});
      });
      const dl = el("a", "btn btn-small btn-ghost", "Download");
      dl.href = "/api/recordings/" + x.id + "/audio?download=true";
      const cell = el("td", "actions");
      cell.append(play, dl);
      tr.append(el("td", "mono", new Date(x.started_at).toLocaleTimeString([], {
        hour: "2-digit", minute: "2-digit",
      })), el("td", null, x.caller), el("td", "num", seconds(x.duration_s)), cell);
      body.append(tr);
    }
    $("recs-empty").hidden = r.doc.recordings.length > 0;
  }

  // ---- the live stream ----------------------------------------------------------------------

  function setLive(ok, text) {
    const e = $("live");
    e.textContent = text;
    e.className = "live " + (ok ? "live-ok" : "live-wait");
    probe.connected = ok;
  }

  function connect() {
    const url = "/api/stream" + (lastEventId ? "?last_event_id=" + encodeURIComponent(lastEventId) : "");
    source = new EventSource(url);
    source.onopen = () => setLive(true, "Live");
    source.addEventListener("snapshot", (e) => {
      lastEventId = e.lastEventId;
      const doc = JSON.parse(e.data);
      offset = doc.now - Date.now();
      const a = doc.agents.find((x) => x.ext === session.ext);
      if (a) onAgent(a);
      else { agent = null; renderState(); }
    });
    source.addEventListener("update", (e) => {
      lastEventId = e.lastEventId;
      const m = JSON.parse(e.data);
      if (m.t === "agent" && m.v.ext === session.ext) onAgent(m.v);
    });
    source.addEventListener("pop", (e) => {
      const m = JSON.parse(e.data);
      probe.offeredAt = Date.now();
      loadPop(true, m.call_id);
    });
    source.addEventListener("consult", (e) => onConsult(JSON.parse(e.data)));
    source.addEventListener("call", (e) => onCall(JSON.parse(e.data)));
    source.addEventListener("ping", (e) => {
      offset = JSON.parse(e.data).now - Date.now();
    });
    source.addEventListener("end", () => {
      source.close();
      window.location.assign("/login");
    });
    source.onerror = () => {
      setLive(false, "Reconnecting…");
      if (source.readyState === EventSource.CLOSED) {
        source = null;
        fetch("/api/session", { credentials: "same-origin" }).then((r) => {
          if (r.status === 401 || r.status === 403) window.location.assign("/login");
          else setTimeout(connect, 1500);
        }, () => setTimeout(connect, 1500));
      }
    };
  }

  function tick() {
    const now = Date.now() + offset;
    $("clock").textContent = new Date(now).toLocaleTimeString([], {
      hour: "2-digit", minute: "2-digit", timeZone: session.time_zone || undefined,
    });
    const since = Number($("my-since").dataset.since);
    $("my-since").textContent = since ? duration(now - since) : "";
  }

  // ---- preview campaigns: the next lead, dial or skip ------------------------------------------

  let preview = null, previewTimer = 0;

  function renderPreview(doc) {
    const served = doc && doc.campaigns ? doc.campaigns : [];
    preview = doc && doc.lead ? doc.lead : null;
    probe.preview = preview;
    probe.previewLoaded = (probe.previewLoaded || 0) + 1;
    $("preview").hidden = !served.length;
    $("pv-lead").hidden = !preview;
    $("pv-empty").hidden = !!preview;
    $("pv-lead").dataset.leadId = preview ? String(preview.id) : "";
    if (!preview) return;
    $("pv-name").textContent = preview.name || "(no name)";
    $("pv-number").textContent = preview.number;
    $("pv-campaign").textContent = preview.campaign;
    $("pv-attempts").textContent = String(preview.attempts);
    kv($("pv-fields"), preview.fields || {}, []);
    $("btn-pv-dial").disabled = $("btn-pv-skip").disabled = false;
  }

  async function loadPreview() {
    clearTimeout(previewTimer);
    try {
      const r = await api("GET", "/api/me/preview");
      renderPreview(r.ok ? r.doc : null);
    } catch (e) {
      renderPreview(null);
    }
    // a lead shown: refreshed now and then; none due: looked for more often; no preview
    // campaign of mine running: rarely (one may start)
    const served = !$("preview").hidden;
    previewTimer = setTimeout(loadPreview, !served ? 60000 : preview ? 30000 : 10000);
  }

  async function previewAct(what) {
    if (!preview) return;
    const lead = preview;
    $("btn-pv-dial").disabled = $("btn-pv-skip").disabled = true;
    const r = await act("/api/me/preview/" + what, { lead_id: lead.id },
      what === "dial" ? "Calling " + (lead.name || lead.number) + ": answer your phone"
                      : "Skipped " + (lead.name || lead.number));
    if (r && r.ok && what === "dial") probe.previewDialled = lead.id;
    loadPreview();
  }

  // ---- start --------------------------------------------------------------------------------

  async function start() {
    session = await window.ccPage.signedIn((x) => x.name + " · extension " + x.ext);
    if (!session) return;
    if (session.role !== "agent") { window.location.assign("/wallboard"); return; }
    const m = await api("GET", "/api/me");
    me = m.ok ? m.doc : { reasons: [], queues: [] };
    const sel = $("sel-reason");
    sel.replaceChildren(el("option", null, me.reasons.length ? "— pause reason —" : "No pause reasons"));
    sel.firstChild.value = "";
    for (const x of me.reasons) {
      const o = el("option", null, x.label);
      o.value = x.name;
      sel.append(o);
    }
    sel.addEventListener("change", renderState);
    $("btn-login").addEventListener("click", () => act("/api/me/state", { state: "login" }, "Logged in"));
    $("btn-logout").addEventListener("click", () => act("/api/me/state", { state: "logout" }, "Logged out"));
    $("btn-ready").addEventListener("click", () => act("/api/me/state", { state: "ready" }, "Ready"));
    $("btn-endwrap").addEventListener("click", () => act("/api/me/state", { state: "ready" }, "Wrap-up ended"));
    $("btn-pause").addEventListener("click", () =>
      act("/api/me/state", { state: "pause", reason: sel.value }, "Paused"));
    $("btn-hangup").addEventListener("click", () => {
      const call = myCall();
      if (call) act("/api/me/hangup", { call_id: call }, "Hung up");
    });
    $("btn-rec-pause").addEventListener("click", () =>
      act("/api/me/recording", { action: "pause" }, "Recording paused"));
    $("btn-rec-resume").addEventListener("click", () =>
      act("/api/me/recording", { action: "resume" }, "Recording resumed"));
    $("btn-hold").addEventListener("click", hold);
    $("xfer-form").addEventListener("submit", (ev) => { ev.preventDefault(); transfer(); });
    $("btn-consult").addEventListener("click", consultStart);
    $("btn-consult-complete").addEventListener("click", () => consultEnd(true));
    $("btn-consult-cancel").addEventListener("click", () => consultEnd(false));
    $("dial-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const n = $("dial-number").value.trim();
      act("/api/me/dial", { number: n }, "Calling " + n + ": answer your phone");
    });
    $("btn-pv-dial").addEventListener("click", () => previewAct("dial"));
    $("btn-pv-skip").addEventListener("click", () => previewAct("skip"));
    $("wrap-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!pop) return;
      const body = { call_id: pop.call_id, notes: $("wrap-notes").value };
      if ($("wrap-code").value) body.code = $("wrap-code").value;
      const res = await act("/api/me/wrapup", body, "Wrap-up saved");
      if (res && res.ok) {
        pop.wrapup = { code: body.code || null, notes: body.notes };
        $("wrap-saved").hidden = false;
      }
    });
    if (me.last_offer) loadPop(true);
    renderState();
    connect();
    loadToday();
    loadRecordings();
    loadPreview();
    setInterval(tick, 1000);
    tick();
  }

  start();
})();
