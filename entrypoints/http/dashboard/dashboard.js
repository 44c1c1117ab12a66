// Folio's operator dashboard: signs an ADMIN in, then polls /api/v1/admin/worker-status.
// The access token lives in sessionStorage (this tab only); no cookies, no third-party requests.
"use strict";

const API = "/api/v1";
const TOKEN_KEY = "folio.dashboard.token";
const REFRESH_MS = 2000;
let timer = null;

const $ = (id) => document.getElementById(id);

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

async function api(path, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const response = await fetch(API + path, { ...options, headers, credentials: "omit" });
  if (response.status === 401) {
    signOut("Your session ended: sign in again.");
    throw new Error("unauthorized");
  }
  return response;
}

async function problem(response) {
  try {
    const body = await response.json();
    return body.detail || body.title || `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "-" : String(text);
  if (className) td.className = className;
  return td;
}

function fill(tableId, rows, columns, emptyText) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = cell(emptyText, "empty");
    td.colSpan = columns;
    tr.append(td);
    body.append(tr);
    return;
  }
  for (const cells of rows) {
    const tr = document.createElement("tr");
    tr.append(...cells);
    body.append(tr);
  }
}

function ago(at, now) {
  if (!at) return "-";
  const seconds = Math.max(0, (Date.parse(now) - Date.parse(at)) / 1000);
  return `${seconds.toFixed(1)} s ago`;
}

function progressCell(item) {
  const td = document.createElement("td");
  const bar = document.createElement("progress");
  if (item.total_rows > 0) {
    bar.max = item.total_rows;
    bar.value = item.processed_rows;
  }
  const label = document.createElement("span");
  label.textContent = item.total_rows > 0 ? ` ${item.processed_rows} / ${item.total_rows}` : ` ${item.processed_rows}`;
  td.append(bar, label);
  return td;
}

function showStatus(status) {
  const now = status.at;
  fill(
    "workers",
    status.workers.map((w) => {
      const row = [
        cell(w.id.slice(0, 8)),
        cell(w.host),
        cell(w.pid),
        cell(w.alive ? "alive" : "gone", w.alive ? "alive" : "dead"),
        cell(ago(w.last_heartbeat, now)),
        cell(w.processed),
        cell(w.failed),
        cell(w.retried),
        cell(w.in_progress),
      ];
      row[0].title = w.id;
      return row;
    }),
    9,
    "No worker is running.",
  );
  fill(
    "queues",
    status.queues.map((q) => [cell(q.name), cell(q.ready), cell(q.delayed), cell(q.dead)]),
    4,
    "No queues.",
  );
  fill(
    "imports",
    status.imports.map((i) => [
      cell(i.filename),
      cell(i.status),
      progressCell(i),
      cell(i.created),
      cell(i.updated),
      cell(i.failed_rows),
    ]),
    6,
    "No import in progress.",
  );
  $("outbox-pending").textContent = status.outbox.pending;
  $("outbox-failed").textContent = status.outbox.failed;
  const rates = status.requests;
  $("rate").textContent = rates ? rates.per_second.toFixed(2) : "-";
  $("error-rate").textContent = rates ? `${rates.errors_per_second.toFixed(2)} (${(rates.error_ratio * 100).toFixed(1)} %)` : "-";
  $("updated").textContent = `updated ${new Date(now).toLocaleTimeString()}`;
}

async function retry(id, button) {
  button.disabled = true;
  const response = await api(`/admin/mail/failed/${encodeURIComponent(id)}/retry`, { method: "POST" });
  if (!response.ok) {
    $("status-error").textContent = `Retry failed: ${await problem(response)}`;
    button.disabled = false;
    return;
  }
  await refresh();
}

function showFailed(page) {
  fill(
    "failed-mail",
    page.items.map((m) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Retry";
      button.className = "retry";
      button.dataset.id = m.id;
      button.addEventListener("click", () => retry(m.id, button));
      const action = document.createElement("td");
      action.append(button);
      return [cell(m.kind), cell(m.recipient), cell(m.attempts), cell(m.failed_at), cell(m.last_error), action];
    }),
    6,
    "No failed mail.",
  );
}

async function refresh() {
  try {
    const [status, failed] = await Promise.all([api("/admin/worker-status"), api("/admin/mail/failed?limit=50")]);
    if (!status.ok) throw new Error(await problem(status));
    if (!failed.ok) throw new Error(await problem(failed));
    showStatus(await status.json());
    showFailed(await failed.json());
    $("status-error").textContent = "";
  } catch (error) {
    if (error.message !== "unauthorized") $("status-error").textContent = `Could not refresh: ${error.message}`;
  }
}

function showDashboard() {
  $("sign-in-panel").hidden = true;
  $("dashboard").hidden = false;
  $("sign-out").hidden = false;
  refresh();
  clearInterval(timer);
  timer = setInterval(refresh, REFRESH_MS);
}

function signOut(message = "") {
  clearInterval(timer);
  sessionStorage.removeItem(TOKEN_KEY);
  $("dashboard").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in-panel").hidden = false;
  $("sign-in-error").textContent = message;
}

async function signIn(event) {
  event.preventDefault();
  $("sign-in-error").textContent = "";
  const response = await fetch(`${API}/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ email: $("email").value, password: $("password").value }),
    credentials: "omit",
  });
  if (!response.ok) {
    $("sign-in-error").textContent = await problem(response);
    return;
  }
  const tokens = await response.json();
  sessionStorage.setItem(TOKEN_KEY, tokens.access_token);
  $("password").value = "";
  const check = await api("/admin/worker-status");
  if (check.status === 403) {
    signOut("This account is not an ADMIN.");
    return;
  }
  showDashboard();
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signOut());
  if (token()) showDashboard();
});
