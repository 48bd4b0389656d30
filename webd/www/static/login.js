// login.js - the sign-in form: a pre-login CSRF token (GET /api/csrf), then
// POST /api/login; on success the wallboard (an agent: its desktop). Errors are shown, never alerted.
"use strict";

(function () {
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  const button = document.getElementById("login-button");

  function show(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  async function csrf() {
    const r = await fetch("/api/csrf", { credentials: "same-origin" });
    if (!r.ok) throw new Error("the server did not answer (" + r.status + ")");
    return (await r.json()).csrf;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    show("");
    button.disabled = true;
    try {
      const token = await csrf();
      const r = await fetch("/api/login", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
        body: JSON.stringify({
          name: form.elements.name.value.trim(),
          password: form.elements.password.value,
        }),
      });
      if (r.ok) {
        const who = await r.json().catch(() => ({}));
        window.location.assign(who.role === "agent" ? "/agent" : "/wallboard");
        return;
      }
      const body = await r.json().catch(() => ({}));
      if (r.status === 429) {
        const wait = r.headers.get("Retry-After");
        show("Too many failed attempts. Try again in " + (wait || "a few") + " seconds.");
      } else if (r.status === 401) {
        show("Wrong user name or password.");
      } else {
        show((body.error && body.error.message) || "Sign-in failed (" + r.status + ").");
      }
    } catch (e) {
      show("Cannot reach the server: " + e.message);
    } finally {
      button.disabled = false;
    }
  });
})();
