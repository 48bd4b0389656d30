// recordings.js - a supervisor's recordings: the search of GET /api/recordings (only the
// queues the user sees), played and downloaded from GET /api/recordings/{id}/audio, which
// webd streams decrypted with byte ranges and audits at every fetch.
"use strict";

(function () {
  const { $, el, toast, signedIn } = window.ccPage;

  function length(s) {
    if (s === null || s === undefined) return "–";
    const m = Math.floor(s / 60), r = Math.round(s % 60);
    return m + ":" + String(r).padStart(2, "0");
  }

  async function search(ev) {
    if (ev) ev.preventDefault();
    const q = new URLSearchParams();
    for (const f of $("search").elements) {
      if (f.name && f.value.trim()) q.set(f.name, f.value.trim());
    }
    q.set("limit", "200");
    const r = await fetch("/api/recordings?" + q, { credentials: "same-origin" });
    if (r.status === 401) { window.location.assign("/login"); return; }
    const doc = await r.json().catch(() => ({}));
    if (!r.ok) {
      toast((doc.error && doc.error.message) || "Search refused (" + r.status + ")", true);
      return;
    }
    const body = $("rows");
    body.replaceChildren();
    for (const x of doc.recordings) {
      const tr = el("tr");
      tr.dataset.recording = x.id;
      const play = el("button", "btn btn-small", "Play");
      play.type = "button";
      play.disabled = x.deleted;
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
      tr.append(el("td", "mono", new Date(x.started_at).toLocaleString([], {
        month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      })), el("td", null, x.caller), el("td", null, x.callee), el("td", null, x.agent || "–"),
      el("td", null, x.queue || "–"), el("td", "num", length(x.duration_s)),
      el("td", "strong", x.wrapup_code || "–"), cell);
      body.append(tr);
    }
    $("count").textContent = doc.recordings.length + " found";
    $("empty").hidden = doc.recordings.length > 0;
    if (!doc.recordings.length) $("empty").textContent = "No recordings match.";
  }

  async function start() {
    if (!(await signedIn())) return;
    $("search").addEventListener("submit", search);
  }

  start();
})();
