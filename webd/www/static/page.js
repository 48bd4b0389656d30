// page.js - what every signed-in page does the same way, loaded before the page's own
// script: elements by id and new ones, the toast, JSON calls to the API with the session's
// CSRF token (a 401 goes back to the sign-in page), and the session itself with the top
// bar's "who" line and Sign out button. Exposed as window.ccPage.
"use strict";

(function () {
  let session = null;

  const $ = (id) => document.getElementById(id);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function toast(message, bad, ms) {
    const t = $("toast");
    t.textContent = message;
    t.className = "toast" + (bad ? " toast-bad" : "");
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => (t.hidden = true), ms || 4000);
  }

  // {ok, status, doc}; throws after sending a signed-out page to /login
  async function api(method, path, body) {
    const opts = { method, credentials: "same-origin", headers: {} };
    if (method !== "GET") {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRF-Token"] = session ? session.csrf : "";
      opts.body = JSON.stringify(body || {});
    }
    const r = await fetch(path, opts);
    if (r.status === 401) { window.location.assign("/login"); throw new Error("signed out"); }
    const doc = await r.json().catch(() => ({}));
    return { ok: r.ok, status: r.status, doc };
  }

  // The reason of a refused call, for a toast.
  function refusal(res, what) {
    return (res.doc.error && res.doc.error.message) || what + " refused (" + res.status + ")";
  }

  // The session (null after sending a signed-out page to /login); fills the "who" line
  // (`who(session)` words it, default name · role · queues) and arms Sign out.
  async function signedIn(who) {
    const r = await fetch("/api/session", { credentials: "same-origin" });
    if (r.status === 401) { window.location.assign("/login"); return null; }
    session = await r.json();
    $("who").textContent = who ? who(session) : session.name + " · " + session.role +
      (session.queues ? " · " + session.queues.join(", ") : " · every queue");
    $("logout").addEventListener("click", async () => {
      await api("POST", "/api/logout").catch(() => {});
      window.location.assign("/login");
    });
    return session;
  }

  window.ccPage = { $, el, toast, api, refusal, signedIn };
})();
