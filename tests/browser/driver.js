// driver.js - a real browser for the tests: Debian's chromium (/usr/bin/chromium, never a
// downloaded one) driven by playwright-core, controlled by the Python test through JSON
// lines on stdin; each command gets one JSON line back on stdout:
//   {"id": 1, "cmd": "page", "page": "a"}                      a fresh context (own cookies)
//   {"id": 2, "cmd": "goto", "page": "a", "url": "http://..."}
//   {"id": 3, "cmd": "fill", "page": "a", "selector": "#name", "value": "sup"}
//   {"id": 4, "cmd": "click", "page": "a", "selector": "#login-button"}
//   {"id": 5, "cmd": "wait", "page": "a", "expr": "js returning truthy", "timeout_ms": 10000}
//   {"id": 6, "cmd": "eval", "page": "a", "expr": "js expression"}   -> {"value": ...}
//   {"id": 7, "cmd": "screenshot", "page": "a", "path": "/tmp/x.png"}
//   {"id": 8, "cmd": "quit"}
// Replies: {"id": N, "ok": true, "value": ...} or {"id": N, "ok": false, "error": "..."}.
// Each page is its own browser with a fresh user data directory under argv[2].
"use strict";

const readline = require("readline");
const { chromium } = require("playwright-core");

const path = require("path");

const userDataDir = process.argv[2];
const contexts = new Map(); // page name -> its browser (a persistent context of its own)
const pages = new Map();

// Each page is a browser of its own with a fresh user data directory (own cookies).
async function openPage(name, viewport) {
  const ctx = await chromium.launchPersistentContext(path.join(userDataDir, name), {
    executablePath: process.env.CC_CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--headless=new", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: viewport || { width: 1600, height: 1000 },
  });
  const p = ctx.pages()[0] || (await ctx.newPage());
  p.on("pageerror", (e) => process.stderr.write("pageerror: " + e.message + "\n"));
  contexts.set(name, ctx);
  pages.set(name, p);
}

async function closeAll() {
  for (const ctx of contexts.values()) await ctx.close().catch(() => {});
  contexts.clear();
  pages.clear();
}

function page(name) {
  const p = pages.get(name || "main");
  if (!p) throw new Error("no page " + name);
  return p;
}

async function run(msg) {
  switch (msg.cmd) {
    case "page":
      await openPage(msg.page || "main", msg.viewport);
      return null;
    case "goto":
      await page(msg.page).goto(msg.url, { waitUntil: "domcontentloaded" });
      return page(msg.page).url();
    case "fill":
      await page(msg.page).fill(msg.selector, msg.value);
      return null;
    case "click":
      await page(msg.page).click(msg.selector, { timeout: msg.timeout || 5000 });
      return null;
    case "select":
      await page(msg.page).selectOption(msg.selector, msg.value);
      return null;
    case "wait": { // polled with evaluate: the page's CSP forbids the eval waitForFunction uses
      const deadline = Date.now() + (msg.timeout_ms || 10000);
      let last;
      for (;;) {
        last = await page(msg.page).evaluate(msg.expr).catch((e) => "error: " + e.message);
        if (last && !(typeof last === "string" && last.startsWith("error: "))) return last;
        if (Date.now() > deadline) throw new Error("timed out waiting for " + msg.expr + " (last: " + JSON.stringify(last) + ")");
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    case "eval":
      return await page(msg.page).evaluate(msg.expr);
    case "screenshot":
      await page(msg.page).screenshot({ path: msg.path, fullPage: msg.full_page !== false });
      return msg.path;
    case "url":
      return page(msg.page).url();
    case "close_page":
      await contexts.get(msg.page).close();
      contexts.delete(msg.page);
      pages.delete(msg.page);
      return null;
    case "quit":
      await closeAll();
      return null;
    default:
      throw new Error("unknown command " + msg.cmd);
  }
}

async function main() {
  process.stdout.write(JSON.stringify({ id: 0, ok: true, value: "ready" }) + "\n");
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let msg;
    try {
      msg = JSON.parse(line);
      const value = await run(msg);
      process.stdout.write(JSON.stringify({ id: msg.id, ok: true, value: value === undefined ? null : value }) + "\n");
      if (msg.cmd === "quit") break;
    } catch (e) {
      process.stdout.write(JSON.stringify({ id: msg && msg.id, ok: false, error: String(e && e.message || e) }) + "\n");
    }
  }
  await closeAll();
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write("driver: " + (e && e.stack || e) + "\n");
  process.exit(1);
});
