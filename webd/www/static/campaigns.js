// campaigns.js - a supervisor's outbound campaigns: the list with dialerd's live figures
// (GET /api/campaigns, read again every few seconds), start and pause (POST
// /api/campaigns/{name}/start|pause), the last 31 days of one (GET .../stats) and a form
// that adds one (POST /api/campaigns, judged by webd as `ccctl campaign add` is; a refusal
// names the field, which the form marks). Only the campaigns of the user's queues show.
"use strict";

(function () {
  const { $, el, api, refusal, signedIn } = window.ccPage;
  const toast = (message, bad) => window.ccPage.toast(message, bad, 5000);
  const REFRESH_MS = 3000;
  let session = null;
  let picked = null;
  const page = (window.__campaigns = { loads: 0, names: [] });

  function pct(x) {
    return x === null || x === undefined ? "–" : (100 * x).toFixed(1) + "%";
  }

  function minutes(s) {
    if (s === null || s === undefined) return "–";
    const m = Math.floor(s / 60);
    return m >= 60 ? Math.floor(m / 60) + "h " + String(m % 60).padStart(2, "0") + "m" : m + "m";
  }

  async function setState(name, action) {
    const res = await api("POST", "/api/campaigns/" + encodeURIComponent(name) + "/" + action);
    if (!res.ok) { toast(refusal(res, action), true); return; }
    toast(name + " is " + res.doc.state);
    load();
  }

  function row(c) {
    const tr = el("tr");
    tr.dataset.campaign = c.name;
    if (c.name === picked) tr.className = "picked";
    const state = el("span", "state st-" + c.state, c.state);
    const running = c.state === "running";
    const abandon = el("td", "num", running ? pct(c.abandon_rate) : "–");
    const actions = el("td", "actions");
    if (c.state !== "finished") {
      const b = el("button", "btn btn-small" + (running ? "" : " btn-primary"),
        running ? "Pause" : "Start");
      b.type = "button";
      b.dataset.action = running ? "pause" : "start";
      b.addEventListener("click", () => setState(c.name, b.dataset.action));
      actions.append(b);
    }
    const days = el("button", "btn btn-small btn-ghost", "Figures");
    days.type = "button";
    days.addEventListener("click", () => showDays(c.name));
    actions.append(days);
    const live = (k) => el("td", "num", running ? c[k] ?? 0 : "–");
    const stateCell = el("td");
    stateCell.append(state);
    tr.append(el("td", "strong", c.name), el("td", null, c.mode), el("td", null, c.queue),
      stateCell, el("td", "num", c.leads_ready ?? 0), live("ringing"), live("waiting"),
      live("talking"), abandon, actions);
    return tr;
  }

  async function load() {
    clearTimeout(load.timer);
    try {
      const res = await api("GET", "/api/campaigns");
      if (res.ok) {
        const list = res.doc.campaigns.slice().sort((a, b) => a.name.localeCompare(b.name));
        $("rows").replaceChildren(...list.map(row));
        $("empty").hidden = list.length > 0;
        $("updated").textContent = "updated " + new Date().toLocaleTimeString();
        page.loads++;
        page.names = list.map((c) => c.name);
      } else {
        $("updated").textContent = refusal(res, "the list");
      }
    } catch (e) {
      $("updated").textContent = "cannot reach the server";
    }
    load.timer = setTimeout(load, REFRESH_MS);
  }

  async function showDays(name) {
    picked = name;
    for (const tr of $("rows").children) tr.className = tr.dataset.campaign === name ? "picked" : "";
    const res = await api("GET", "/api/campaigns/" + encodeURIComponent(name) + "/stats");
    if (!res.ok) { toast(refusal(res, "the figures"), true); return; }
    $("days-name").textContent = name;
    $("days").replaceChildren(...res.doc.days.map((d) => {
      const tr = el("tr");
      tr.append(el("td", "mono", d.day), el("td", "num", d.attempts), el("td", "num", d.contacts),
        el("td", "num", pct(d.contact_rate)), el("td", "num", d.abandoned),
        el("td", "num", pct(d.abandon_rate)), el("td", "num", minutes(d.talk_s)),
        el("td", "num", d.avg_answer_to_agent_ms === null ? "–" :
          Math.round(d.avg_answer_to_agent_ms) + " ms"),
        el("td", "num", d.leads_remaining));
      return tr;
    }));
    $("days-empty").hidden = res.doc.days.length > 0;
    $("days-panel").hidden = false;
  }

  function lines(text) {
    return text.split("\n").map((x) => x.trim()).filter((x) => x);
  }

  async function add(ev) {
    ev.preventDefault();
    const form = $("add");
    for (const f of form.elements) f.removeAttribute("aria-invalid");
    const body = {};
    for (const f of form.elements) {
      if (!f.name) continue;
      const v = f.value.trim();
      if (!v) continue;
      if (f.name === "hours" || f.name === "dispositions") body[f.name] = lines(v);
      else if (f.type === "number") body[f.name] = Number(v);
      else body[f.name] = v;
    }
    const res = await api("POST", "/api/campaigns", body);
    if (!res.ok) {
      const field = res.doc.error && res.doc.error.field;
      if (field && form.elements[field]) {
        form.elements[field].setAttribute("aria-invalid", "true");
        form.elements[field].focus();
      }
      toast(refusal(res, "the campaign"), true);
      return;
    }
    toast("Campaign " + res.doc.campaign + " added, paused: import its leads, then start it");
    form.reset();
    load();
  }

  async function start() {
    session = await signedIn();
    if (!session) return;
    // the queues a campaign may serve: the supervisor's own, or every queue for an admin
    let queues = session.queues;
    if (!queues) {
      const q = await api("GET", "/api/queues");
      queues = q.ok ? (q.doc.queues || []).map((x) => x.name) : [];
    }
    $("add-queue").replaceChildren(...queues.map((n) => {
      const o = el("option", null, n);
      o.value = n;
      return o;
    }));
    $("add").addEventListener("submit", add);
    load();
  }

  start();
})();
