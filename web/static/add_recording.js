// The "add a recording" page: by link (JSON to the recordings API) or by resumable upload (upload.js).
import { Upload } from "./upload.js";

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";
const listUrl = "/recordings";

function say(form, text, isError = false) {
  const status = form.querySelector(".form-status");
  status.textContent = text;
  status.classList.toggle("error-text", isError);
}

async function errorMessage(response) {
  try {
    return (await response.json()).error || `Failed (HTTP ${response.status}).`;
  } catch {
    return `Failed (HTTP ${response.status}).`;
  }
}

const byUrl = document.getElementById("by-url");
byUrl?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(byUrl));
  say(byUrl, "Adding…");
  const response = await fetch(byUrl.dataset.endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
    body: JSON.stringify(data),
  });
  if (response.ok) {
    say(byUrl, "Added. It will appear in the list while it downloads.");
    window.location.assign(listUrl);
  } else {
    say(byUrl, await errorMessage(response), true);
  }
});

const byUpload = document.getElementById("by-upload");
let current = null;
byUpload?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = byUpload.querySelector("#file").files[0];
  if (!file) return say(byUpload, "Choose a file first.", true);
  if (file.size > Number(byUpload.dataset.maxBytes)) {
    return say(byUpload, `The file is too large: the limit is ${(Number(byUpload.dataset.maxBytes) / 1024 ** 3).toFixed(1)} GB.`, true);
  }
  const bar = byUpload.querySelector(".upload-progress");
  const pause = byUpload.querySelector(".pause");
  bar.hidden = false;
  pause.hidden = false;
  current = new Upload(file, {
    endpoint: byUpload.dataset.endpoint,
    metadata: { title: byUpload.querySelector("#upload-title").value, channel: byUpload.querySelector("#upload-channel").value,
      aired_at: byUpload.querySelector("#upload-aired").value },
    onProgress: (sent, total) => {
      bar.value = total ? sent / total : 1;
      say(byUpload, `Uploaded ${Math.floor((100 * sent) / (total || 1))}% (${(sent / 1024 ** 2).toFixed(1)} of ${(total / 1024 ** 2).toFixed(1)} MB)`);
    },
    onStatus: (text) => say(byUpload, text),
  });
  try {
    const done = await current.start();
    if (done) {
      say(byUpload, "Uploaded. Checking the file and starting the transcript…");
      window.location.assign(listUrl);
    }
  } catch (err) {
    say(byUpload, err.message, true);
  }
});

byUpload?.querySelector(".pause").addEventListener("click", (event) => {
  if (!current) return;
  if (current.paused) {
    event.target.textContent = "Pause";
    byUpload.requestSubmit();
  } else {
    current.pause();
    event.target.textContent = "Resume";
    say(byUpload, "Paused. Press Resume to carry on.");
  }
});
