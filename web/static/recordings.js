// Live status and progress on the recordings list: polls the JSON API while anything is still working,
// and updates the rows in place (no page reload). Text goes in with textContent, never as HTML.
const table = document.getElementById("recordings");
const BUSY = new Set(["queued", "ingesting", "transcribing"]);
const INTERVAL_MS = 2000;

function formatDuration(seconds) {
  const total = Math.round(seconds || 0);
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

function capitalize(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function renderStatus(cell, rec) {
  cell.replaceChildren();
  const badge = document.createElement("span");
  badge.className = `status status-${rec.status}`;
  badge.textContent = capitalize(rec.status);
  cell.append(badge);
  if (BUSY.has(rec.status)) {
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = rec.progress || 0;
    bar.setAttribute("aria-label", `Progress of ${rec.title || "recording"}`);
    bar.textContent = `${Math.round((rec.progress || 0) * 100)}%`;
    cell.append(" ", bar);
  }
  if (rec.status === "failed" && rec.error) {
    const err = document.createElement("span");
    err.className = "error-text";
    err.textContent = rec.error;
    cell.append(" ", err);
  }
}

function busyRows() {
  return [...table.querySelectorAll("tbody tr[data-id]")].filter((tr) => BUSY.has(tr.dataset.status));
}

async function poll() {
  if (!busyRows().length) return; // nothing working: stop polling until the page is loaded again
  try {
    const response = await fetch(table.dataset.poll, { headers: { Accept: "application/json" } });
    if (response.ok) {
      const { recordings } = await response.json();
      const byId = new Map(recordings.map((r) => [String(r.id), r]));
      for (const tr of table.querySelectorAll("tbody tr[data-id]")) {
        const rec = byId.get(tr.dataset.id);
        if (!rec || (rec.status === tr.dataset.status && !BUSY.has(rec.status))) continue;
        tr.dataset.status = rec.status;
        renderStatus(tr.querySelector(".rec-status"), rec);
        if (rec.duration) tr.querySelector(".rec-duration").textContent = formatDuration(rec.duration);
      }
    }
  } catch (err) {
    console.warn("recordings poll failed; retrying", err);
  }
  setTimeout(poll, INTERVAL_MS);
}

if (table) setTimeout(poll, INTERVAL_MS);
