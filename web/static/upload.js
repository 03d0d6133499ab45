// A small tus 1.0 client: POST creates an upload (Upload-Length), PATCH sends chunks at Upload-Offset,
// HEAD asks where the server got to. The upload's URL is remembered per file (name, size, date) in
// localStorage, so choosing the same file again after a dropped connection or a reload resumes it.
const TUS = "1.0.0";
const CHUNK = 5 * 1024 * 1024;
const RETRY_DELAYS_MS = [1000, 3000, 5000, 10000, 20000];

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

function b64(text) {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

function fingerprint(file) {
  return `clipper-tus:${file.name}:${file.size}:${file.lastModified}`;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class Upload {
  // options: {endpoint, metadata: {name: value}, onProgress(sent, total), onStatus(text)}
  constructor(file, options) {
    this.file = file;
    this.options = options;
    this.paused = false;
    this.url = localStorage.getItem(fingerprint(file));
  }

  headers(extra = {}) {
    return { "Tus-Resumable": TUS, "X-CSRFToken": csrfToken(), ...extra };
  }

  async create() {
    const metadata = Object.entries({ filename: this.file.name, ...this.options.metadata })
      .filter(([, v]) => v !== undefined && v !== "")
      .map(([k, v]) => `${k} ${b64(String(v))}`)
      .join(",");
    const response = await fetch(this.options.endpoint, {
      method: "POST",
      headers: this.headers({ "Upload-Length": String(this.file.size), "Upload-Metadata": metadata }),
    });
    if (response.status !== 201) throw await uploadError(response);
    this.url = new URL(response.headers.get("Location"), window.location.href).href;
    localStorage.setItem(fingerprint(this.file), this.url);
  }

  async offset() {
    const response = await fetch(this.url, { method: "HEAD", headers: this.headers(), cache: "no-store" });
    if (response.status === 404 || response.status === 410) return null; // gone: start again
    if (!response.ok) throw await uploadError(response);
    return Number(response.headers.get("Upload-Offset"));
  }

  async sendFrom(offset) {
    const end = Math.min(offset + CHUNK, this.file.size);
    const response = await fetch(this.url, {
      method: "PATCH",
      headers: this.headers({ "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" }),
      body: this.file.slice(offset, end),
    });
    if (response.status === 409) return this.offset(); // out of step: ask the server where it is
    if (!response.ok) throw await uploadError(response);
    this.lastResponse = response;
    return Number(response.headers.get("Upload-Offset") ?? end);
  }

  // Resolves with the last PATCH response when every byte is on the server.
  async start() {
    this.paused = false;
    let attempt = 0;
    for (;;) {
      try {
        let offset = this.url ? await this.offset() : null;
        if (offset === null) {
          await this.create();
          offset = 0;
        }
        this.options.onProgress?.(offset, this.file.size);
        while (offset < this.file.size) {
          if (this.paused) return null;
          offset = await this.sendFrom(offset);
          attempt = 0;
          this.options.onProgress?.(offset, this.file.size);
        }
        localStorage.removeItem(fingerprint(this.file));
        return this.lastResponse || null;
      } catch (err) {
        if (err.permanent || attempt >= RETRY_DELAYS_MS.length) throw err;
        this.options.onStatus?.(`Connection problem; trying again in ${RETRY_DELAYS_MS[attempt] / 1000} s…`);
        await sleep(RETRY_DELAYS_MS[attempt++]);
      }
    }
  }

  pause() {
    this.paused = true;
  }
}

async function uploadError(response) {
  let message = `The upload failed (HTTP ${response.status}).`;
  try {
    const body = await response.json();
    if (body.error) message = body.error;
  } catch {
    /* not JSON */
  }
  const err = new Error(message);
  err.permanent = response.status >= 400 && response.status < 500 && response.status !== 409 && response.status !== 423;
  return err;
}
