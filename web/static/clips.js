// Render progress on the clip lists: while any clip is rendering, poll the clips API and update the
// rows in place; reload the row's files once its renders are done. Text goes in with textContent.
const table = document.getElementById("clips");
const INTERVAL_MS = 3000;

function progressOf(clip) {
  if (!clip.renders.length) return null;
  return clip.renders.reduce((sum, r) => sum + (r.status === "done" ? 1 : r.progress || 0), 0) / clip.renders.length;
}

function shownStatus(clip) {
  if (clip.status === "approved" && clip.renders.some((r) => r.status === "queued" || r.status === "rendering")) return "rendering";
  return clip.status;
}

function update(tr, clip) {
  const status = shownStatus(clip);
  const cell = tr.querySelector(".clip-status");
  cell.replaceChildren();
  const badge = document.createElement("span");
  badge.className = `status status-${status}`;
  badge.textContent = status.charAt(0).toUpperCase() + status.slice(1);
  cell.append(badge);
  const progress = progressOf(clip);
  if (status === "rendering" && progress !== null) {
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = progress;
    bar.setAttribute("aria-label", `Render progress of ${clip.title || "clip"}`);
    cell.append(" ", bar);
  }
  const files = tr.querySelector(".clip-files");
  files.replaceChildren();
  for (const r of clip.renders) {
    if (r.status === "done" && r.url) {
      const a = document.createElement("a");
      a.href = r.url;
      a.textContent = r.preset.charAt(0).toUpperCase() + r.preset.slice(1);
      files.append(a, " ");
    }
  }
  tr.dataset.status = status;
}

async function poll() {
  const rendering = table.querySelectorAll('tbody tr[data-status="rendering"]');
  if (!rendering.length) return;
  try {
    const response = await fetch(table.dataset.poll, { headers: { Accept: "application/json" } });
    if (response.ok) {
      const byId = new Map((await response.json()).clips.map((c) => [String(c.id), c]));
      for (const tr of rendering) {
        const clip = byId.get(tr.dataset.id);
        if (clip) update(tr, clip);
      }
    }
  } catch (err) {
    console.warn("clips poll failed; retrying", err);
  }
  setTimeout(poll, INTERVAL_MS);
}

if (table) setTimeout(poll, INTERVAL_MS);

// Deleting a draft asks first (the server checks again that it is yours and still a draft).
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}
