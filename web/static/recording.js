// The recording page: wires the player, transcript, timeline and keyboard to the clip being marked,
// and saves it. Unsaved edits are kept in localStorage until the server has them, so an expired
// session or a closed tab loses nothing.
import { bindKeys } from "./keyboard.js";
import { Player } from "./player.js";
import { Timeline } from "./timeline.js";
import { Transcript, Words } from "./transcript.js";

const config = JSON.parse(document.getElementById("desk-config").textContent);
const rec = config.recording;
const $ = (id) => document.getElementById(id);
const csrf = document.querySelector('meta[name="csrf-token"]').content;
// one kept edit per clip (and one for a new clip) on this recording
const draftPrefix = `clipper:desk:${rec.id}:`;
const draftKey = (clipId) => draftPrefix + (clipId ?? "new");
const stats = { ready: 0, firstWords: 0, ticks: 0, changes: 0, saved: 0 };
window.__desk = stats; // read by the browser tests and the benchmark

const state = { clip: null, inT: null, outT: null, fixes: new Map(), warnings: new Map(), dirty: false, busy: false };
let words = new Words({ s: [], e: [], w: [] });
let transcript = null;

// Wall-clock times in the team's time zone, 24-hour, as every other page shows them ("14:05:09").
const zone = config.timezone || undefined;
const clockTime = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit",
  second: "2-digit", hourCycle: "h23" });
const dateTime = new Intl.DateTimeFormat("en-GB", { timeZone: zone, day: "2-digit", month: "short", year: "numeric",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

export function fmt(t) {
  if (t === null || t === undefined || Number.isNaN(t)) return "–";
  const sign = t < 0 ? "-" : "";
  t = Math.abs(t);
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
  const ss = s.toFixed(2).padStart(5, "0");
  return sign + (h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`);
}

// --- the player, timeline and highlight loop ---
const player = new Player($("player"), { fps: rec.fps, duration: rec.duration, media: rec.media, hls: rec.hls });
window.__deskPlayer = player;
$("player").classList.toggle("audio-only", !rec.hasVideo);
const timeline = new Timeline($("timeline"), rec.duration, (t) => player.seek(t));
$("rec-duration").textContent = fmt(rec.duration);
timeline.loadPeaks(rec.peaks);

let follow = true;
let lastAria = 0, lastTick = 0;
let scheduled = false;
function schedule() {
  if (!scheduled) { scheduled = true; requestAnimationFrame(frame); }
}
function frame(now) {
  scheduled = false;
  const t = player.time;
  player.tick();
  stats.ticks++;
  if (lastTick && !player.paused) stats.maxGap = Math.max(stats.maxGap || 0, now - lastTick);
  lastTick = player.paused ? 0 : now;
  if (transcript && transcript.highlight(words.at(t), follow)) stats.changes++;
  timeline.draw(t);
  $("clock").textContent = fmt(t);
  if (now - lastAria > 1000) { $("timeline").setAttribute("aria-valuenow", t.toFixed(1)); lastAria = now; }
  if (!player.paused) schedule();
  else $("play").textContent = "Play";
}
player.on(() => {
  $("play").textContent = player.paused ? "Play" : "Pause";
  $("loop").setAttribute("aria-pressed", String(!!player.loop));
  schedule();
});

// --- the clip being marked ---
function range() {
  return state.inT === null || state.outT === null ? null : [state.inT, state.outT];
}

function captionRange() {
  const r = range();
  return r && r[1] > r[0] ? words.inside(r[0], r[1]) : [0, -1];
}

function showRange() {
  const r = range();
  $("in-time").textContent = fmt(state.inT);
  $("out-time").textContent = fmt(state.outT);
  const [a, b] = captionRange();
  if (transcript) transcript.mark("sel", a, b);
  timeline.setSelection(r && r[1] > r[0] ? r : null);
  const list = $("platforms");
  list.textContent = "";
  if (!r) return;
  const d = r[1] - r[0];
  const bad = d <= 0 ? "The out point is before the in point: move one of them."
    : d > config.maxClipSeconds ? `Too long: clips can be at most ${fmt(config.maxClipSeconds)}.` : "";
  const over = bad ? [] : config.presetLimits.filter((p) => d > p.seconds);
  const warn = over.length ? `Too long for ${over.map((p) => p.name).join(" and ")} (at most `
    + `${fmt(Math.min(...over.map((p) => p.seconds)))}): that format will not be rendered.` : "";
  $("duration").textContent = d > 0 ? `Duration ${fmt(d)}${bad || warn ? " — " + (bad || warn) : ""}` : bad;
  $("duration").classList.toggle("error", !!bad);
  $("duration").classList.toggle("warning", !!warn);
  for (const p of config.platforms) {
    const li = document.createElement("li");
    li.textContent = `${p.name} ${fmt(p.seconds).replace(/\.00$/, "")}`;
    if (d > p.seconds) { li.className = "over"; li.title = `Too long for ${p.name}`; }
    list.append(li);
  }
  renderCaptions();
}

function renderCaptions() {
  const box = $("caption-words");
  box.textContent = "";
  const [a, b] = captionRange();
  if (b < a) { box.innerHTML = '<span class="hint">Select words first.</span>'; return; }
  const frag = document.createDocumentFragment();
  for (let i = a; i <= b; i++) {
    const input = document.createElement("input");
    const fixed = state.fixes.get(words.key(i));
    input.type = "text";
    input.value = fixed ?? words.text[i];
    input.size = Math.max(2, input.value.length);
    input.dataset.i = i;
    input.className = fixed !== undefined ? "fixed" : "";
    const warning = state.warnings.get(words.key(i));
    if (warning) { input.classList.add("warn"); input.title = warning; }
    input.setAttribute("aria-label", `Caption word at ${fmt(words.start[i])}, heard as "${words.text[i]}"`);
    frag.append(input);
  }
  box.append(frag);
}

$("caption-words").addEventListener("input", (e) => {
  const input = e.target, i = +input.dataset.i, text = input.value;
  input.size = Math.max(2, text.length);
  if (text.trim() === words.text[i] || text.trim() === "") state.fixes.delete(words.key(i));
  else state.fixes.set(words.key(i), text.trim());
  const fixed = state.fixes.has(words.key(i));
  input.classList.toggle("fixed", fixed);
  transcript.setText(i, fixed ? state.fixes.get(words.key(i)) : words.text[i], fixed);
  changed();
});

function setRange(inT, outT) {
  state.inT = inT === null ? null : Math.round(inT * 1000) / 1000;
  state.outT = outT === null ? null : Math.round(outT * 1000) / 1000;
  showRange();
  changed();
}

function nudge(which, unit, dir) {
  const cur = which === "in" ? state.inT : state.outT;
  let t = cur ?? player.time;
  if (unit === "frame") t = player.frame(t, dir);
  else if (which === "in") {
    // in points sit on word starts
    const i = dir > 0 ? words.lowerBound(words.start, t + 0.001) : words.lowerBound(words.start, t - 0.001) - 1;
    if (i < 0 || i >= words.n) return;
    t = words.start[i];
  } else {
    // out points sit on word ends
    const i = dir > 0 ? words.lowerBound(words.end, t + 0.001) : words.lowerBound(words.end, t - 0.001) - 1;
    if (i < 0 || i >= words.n) return;
    t = words.end[i];
  }
  t = Math.max(0, Math.min(rec.duration || t, t));
  if (which === "in") setRange(t, state.outT); else setRange(state.inT, t);
  player.seek(which === "in" ? t : Math.max(0, t - 0.001));
}

// --- the form ---
const fields = { title: $("title"), speaker: $("speaker"), tags: $("tags"), post_copy: $("post-copy") };
for (const el of Object.values(fields)) el.addEventListener("input", changed);
fields.title.addEventListener("input", countTitle);

function countTitle() {
  const n = fields.title.value.length, el = $("title-count");
  el.textContent = n ? `${n}/300` : "";
  el.classList.toggle("over", n > 300);
}

for (const p of config.people) {
  const option = document.createElement("option");
  option.value = p.name;
  option.label = p.label;
  $("people").append(option);
}

let draftTimer = 0;
function changed() {
  state.dirty = true;
  clearTimeout(draftTimer);
  draftTimer = setTimeout(keepDraft, 250);
}

function snapshot() {
  return {
    clipId: state.clip ? state.clip.id : null, version: state.clip ? state.clip.version : null,
    inT: state.inT, outT: state.outT, fixes: [...state.fixes], title: fields.title.value,
    speaker: fields.speaker.value, tags: fields.tags.value, post_copy: fields.post_copy.value, at: Date.now(),
  };
}

function keepDraft() {
  if (!state.dirty) return;
  try { localStorage.setItem(draftKey(state.clip?.id), JSON.stringify(snapshot())); } catch (err) { /* storage full or off */ }
}

function dropDraft() {
  clearTimeout(draftTimer);
  localStorage.removeItem(draftKey(state.clip?.id));
}

function message(text, kind = "", extra = null) {
  const el = $("message");
  el.textContent = text;
  el.className = "desk-message" + (kind ? " " + kind : "");
  if (extra) el.append(extra);
}

function loadClip(clip) {
  state.clip = clip;
  state.inT = clip.start;
  state.outT = clip.end;
  for (const [k] of state.fixes) { const i = words.at(k / 1000); if (i >= 0) transcript.setText(i, words.text[i], false); }
  state.fixes = new Map();
  for (const w of clip.caption_words) {
    const i = words.at(w.start + 0.0005);
    if (i >= 0 && words.key(i) === Math.round(w.start * 1000) && w.text !== words.text[i]) {
      state.fixes.set(words.key(i), w.text);
      transcript.setText(i, w.text, true);
    }
  }
  // glossary warnings on likely misspelt names, keyed like the fixes
  state.warnings = new Map((clip.caption_warnings || []).map((w) => [Math.round(w.start * 1000), w.warnings.join(" ")]));
  fields.title.value = clip.title;
  fields.speaker.value = clip.speaker;
  fields.tags.value = (clip.tags || []).join(", ");
  fields.post_copy.value = clip.post_copy;
  state.dirty = false;
  countTitle();
  showStatus();
  showRange();
}

function showStatus() {
  const clip = state.clip;
  $("clip-status").textContent = clip ? `#${clip.id} ${clip.status}` : "new";
  const locked = clip && clip.editable === false;
  for (const el of $("clip-form").querySelectorAll("input, textarea, button")) el.disabled = !!locked && el.id !== "new-clip";
  $("submit-clip").hidden = !!clip && clip.status === "submitted";
  // drafts (and clips sent back) can be deleted; the server checks they are yours
  $("delete-clip").hidden = !(clip && clip.id && ["draft", "rejected"].includes(clip.status));
  if (locked) message(`This clip is ${clip.status}; it can no longer be changed. Use “New clip” to mark another.`);
}

function newClip() {
  if (state.dirty && !confirm("Discard the unsaved changes to this clip?")) return;
  dropDraft();
  loadClip({ id: null, start: null, end: null, caption_words: [], title: "", speaker: "", tags: [], post_copy: "",
    status: "new", editable: true });
  state.clip = null;
  showStatus();
  message("");
  history.replaceState(null, "", location.pathname);
}

async function api(method, url, body) {
  const res = await fetch(url, {
    method, credentials: "same-origin", redirect: "manual",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  let data = {};
  try { data = await res.json(); } catch (err) { data = {}; }
  return { status: res.status || 401, ok: res.ok, data };
}

function loginLink() {
  const a = document.createElement("a");
  const next = location.pathname + (state.clip ? `?clip=${state.clip.id}` : "");
  a.href = `${config.urls.login}?next=${encodeURIComponent(next)}`;
  a.textContent = "Log in again";
  a.id = "relogin";
  return a;
}

function problem(res) {
  if (res.status === 401 || res.status === 0 || res.type === "opaqueredirect") {
    keepDraft();
    message("Your session has ended. Your edit is kept in this browser and comes back after you log in: ", "error", loginLink());
  } else if (res.status === 409 && res.data.changes) {
    conflict(res.data);
  } else {
    keepDraft();
    message(res.data.error || `Saving failed (${res.status}). Your edit is kept in this browser; try again.`, "error");
  }
}

// A stale save: say what the other person changed and let the volunteer choose; never overwrite silently.
function conflict(data) {
  keepDraft();
  const box = document.createElement("div");
  const list = document.createElement("ul");
  for (const c of data.changes) {
    const li = document.createElement("li");
    const now = Array.isArray(c.now) ? c.now.join(c.field === "caption_words" ? " " : ", ")
      : c.field === "start" || c.field === "end" ? fmt(c.now) : String(c.now ?? "");
    li.textContent = `${c.label}${c.by ? ` (by ${c.by})` : ""}: now “${now.slice(0, 200)}”`;
    list.append(li);
  }
  const theirs = document.createElement("button");
  theirs.type = "button";
  theirs.textContent = "Load their version";
  theirs.onclick = () => { dropDraft(); loadClip(data.clip); message("Loaded the latest version."); };
  const mine = document.createElement("button");
  mine.type = "button";
  mine.textContent = "Save mine over it";
  mine.onclick = () => { state.clip.version = data.clip.version; save(); };
  box.append(list, theirs, " ", mine);
  message(data.error, "error", box);
}

function body() {
  const [a, b] = captionRange();
  const fixes = [];
  for (let i = a; i <= b; i++) {
    const text = state.fixes.get(words.key(i));
    if (text !== undefined) fixes.push({ start: words.key(i) / 1000, text });
  }
  const out = { start: state.inT, end: state.outT, title: fields.title.value, speaker: fields.speaker.value,
    tags: fields.tags.value, post_copy: fields.post_copy.value };
  if (fixes.length) out.caption_words = fixes;
  return out;
}

async function save() {
  if (state.busy) return false;
  const r = range();
  if (!r) { message("Select words in the transcript (or press I and O) before saving.", "error"); return false; }
  if (r[1] <= r[0]) { message("The out point is before the in point: move one of them, then save.", "error"); return false; }
  state.busy = true;
  const started = performance.now();
  try {
    const res = state.clip
      ? await api("PATCH", config.urls.clip + state.clip.id, { ...body(), version: state.clip.version })
      : await api("POST", config.urls.clips, body());
    if (!res.ok) { problem(res); return false; }
    dropDraft();
    loadClip(res.data);
    stats.saved = performance.now() - started;
    history.replaceState(null, "", `${location.pathname}?clip=${res.data.id}`);
    const warned = (res.data.caption_warnings || []).map((w) => `“${w.text}”: ${w.warnings.join(" ")}`);
    message(`Saved${res.data.status === "draft" ? " as a draft" : ""} at ${clockTime.format(new Date())}.` +
      (warned.length ? ` Check these caption words: ${warned.join("; ")}` : ""));
    refreshClips();
    return true;
  } catch (err) {
    keepDraft();
    message("Could not reach Clipper. Your edit is kept in this browser; try again when you are back online.", "error");
    return false;
  } finally {
    state.busy = false;
  }
}

async function submit() {
  if ((state.dirty || !state.clip) && !(await save())) return;
  const res = await api("POST", `${config.urls.clip}${state.clip.id}/submit`, { version: state.clip.version });
  if (!res.ok) { problem(res); return; }
  loadClip(res.data);
  message("Submitted for review. A social lead will look at it.");
  refreshClips();
}

async function refreshClips() {
  const res = await api("GET", config.urls.clips);
  if (!res.ok) return;
  timeline.setClips(res.data.clips);
  // the same clips as links: the timeline's drawing is not something a screen reader or a keyboard can open
  const list = $("clip-list");
  list.textContent = "";
  for (const c of res.data.clips) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = `${location.pathname}?clip=${c.id}`;
    a.textContent = `${fmt(c.start)}–${fmt(c.end)} ${c.title || "(untitled)"}`;
    a.addEventListener("click", (e) => {
      if (state.dirty && !confirm("Discard the unsaved changes to this clip?")) { e.preventDefault(); return; }
      e.preventDefault();
      dropDraft();
      history.replaceState(null, "", a.href);
      openClip(c.id);
    });
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = c.status;
    li.append(a, " ", badge);
    if (state.clip && state.clip.id === c.id) li.setAttribute("aria-current", "true");
    list.append(li);
  }
}

function restoreDraft() {
  const here = new URLSearchParams(location.search).get("clip");
  let draft = null;
  try { draft = JSON.parse(localStorage.getItem(draftKey(here)) || "null"); } catch (err) { draft = null; }
  if (!draft) {
    // an edit kept for another clip of this recording: point to it rather than mix it into this one
    const other = Object.keys(localStorage).find((k) => k.startsWith(draftPrefix));
    if (other) {
      const id = other.slice(draftPrefix.length);
      $("restored-text").textContent = "You have an unsaved edit of another clip on this recording: ";
      $("restored-text").append(Object.assign(document.createElement("a"),
        { href: id === "new" ? location.pathname : `${location.pathname}?clip=${id}`, textContent: "open it" }));
      $("discard-draft").hidden = true;
      $("restored").hidden = false;
    }
    return false;
  }
  state.clip = draft.clipId ? { ...(state.clip || {}), id: draft.clipId, version: draft.version, editable: true,
    status: state.clip ? state.clip.status : "draft" } : null;
  state.inT = draft.inT;
  state.outT = draft.outT;
  state.fixes = new Map(draft.fixes || []);
  for (const [k, text] of state.fixes) { const i = words.at(k / 1000 + 0.0005); if (i >= 0) transcript.setText(i, text, true); }
  fields.title.value = draft.title || "";
  fields.speaker.value = draft.speaker || "";
  fields.tags.value = draft.tags || "";
  fields.post_copy.value = draft.post_copy || "";
  state.dirty = true;
  countTitle();
  showStatus();
  showRange();
  $("restored-text").textContent = `Restored your unsaved edit from ${dateTime.format(new Date(draft.at))}. Save to keep it.`;
  $("restored").hidden = false;
  return true;
}

$("discard-draft").addEventListener("click", () => {
  dropDraft();
  state.dirty = false;
  $("restored").hidden = true;
  const id = new URLSearchParams(location.search).get("clip");
  if (id) openClip(id); else newClip();
});

async function openClip(id) {
  const res = await api("GET", config.urls.clip + id);
  if (res.ok && res.data.recording_id !== rec.id) {
    message(`Clip ${id} was marked on another recording: `, "error", Object.assign(document.createElement("a"),
      { href: `/recordings/${res.data.recording_id}?clip=${id}`, textContent: "open it there" }));
    return;
  }
  if (res.ok) { loadClip(res.data); refreshClips(); player.seek(res.data.start); transcript.reveal(words.at(res.data.start), 0.2); }
  else problem(res);
}

// --- controls ---
$("play").addEventListener("click", () => player.toggle());
$("loop").addEventListener("click", loop);
$("follow").addEventListener("change", (e) => { follow = e.target.checked; });
$("show-keys").addEventListener("click", help);
// Keyboard shortcuts mean nothing on a touch-only device (a phone): hide the button there.
const touchOnly = () => window.matchMedia("(any-hover: none) and (any-pointer: coarse)").matches
  || (navigator.maxTouchPoints > 0 && !window.matchMedia("(any-pointer: fine)").matches);
$("show-keys").hidden = touchOnly();
$("new-clip").addEventListener("click", newClip);
$("delete-clip").addEventListener("click", deleteClip);

async function deleteClip() {
  const clip = state.clip;
  if (!clip || !confirm(`Delete the draft “${clip.title || "Untitled clip"}”? This cannot be undone.`)) return;
  const res = await api("DELETE", config.urls.clip + clip.id);
  if (!res.ok) { problem(res); return; }
  state.dirty = false;
  dropDraft();
  newClip();
  message("Deleted the draft.");
  refreshClips();
}
$("submit-clip").addEventListener("click", submit);
$("clip-form").addEventListener("submit", (e) => { e.preventDefault(); save(); });
for (const b of document.querySelectorAll("[data-nudge]")) {
  b.addEventListener("click", () => { const [which, how] = b.dataset.nudge.split(":"); nudge(which, how.slice(1), how[0] === "-" ? -1 : 1); });
}
for (const b of document.querySelectorAll("[data-set]")) b.addEventListener("click", () => setPoint(b.dataset.set));

function setPoint(which) {
  const t = Math.round(player.time * rec.fps) / rec.fps; // the playhead's frame
  if (which === "in") setRange(t, state.outT); else setRange(state.inT, t);
}

function loop() {
  const r = range();
  if (player.loop || !r || r[1] <= r[0]) { player.pause(); return; }
  player.loopPreview(r[0], r[1]);
}

function help() {
  const d = $("keys");
  if (d.open) d.close(); else d.showModal();
}

function stepWord(dir) {
  const i = words.at(player.time);
  const j = Math.max(0, Math.min(words.n - 1, dir > 0 ? i + 1 : (player.time - words.start[i] > 0.25 ? i : i - 1)));
  if (words.n) player.seek(words.start[j]);
}

let jumps = 0, jumpTimer = 0;
bindKeys({
  toggle: () => player.toggle(),
  pause: () => { player.pause(); player.rate = 1; },
  back: () => { // J: back 5 s, then 10 s, 20 s while pressed in a row
    jumps = Math.min(jumps + 1, 4); clearTimeout(jumpTimer); jumpTimer = setTimeout(() => { jumps = 0; }, 1200);
    player.seek(player.time - 5 * 2 ** (jumps - 1));
  },
  forward: () => { if (player.paused) { player.rate = 1; player.play(); } else player.rate = Math.min(4, player.rate * 1.5); },
  word: stepWord,
  frame: (dir) => { player.pause(); player.seek(player.frame(player.time, dir)); },
  setIn: () => setPoint("in"),
  setOut: () => setPoint("out"),
  nudge,
  loop,
  save: () => save(),
  follow: () => { follow = !follow; $("follow").checked = follow; },
  help,
});

window.addEventListener("beforeunload", keepDraft);

// --- start ---
async function start() {
  if (rec.status !== "ready" && !rec.live) { pollUntilReady(); return; }
  const res = window.__deskWords ? await window.__deskWords.then(async (r) => ({ status: r.status, ok: r.ok, data: await r.json() }))
    .catch(() => api("GET", config.urls.words)) : await api("GET", config.urls.words);
  if (!res.ok) { problem(res); return; }
  stats.fetched = performance.now();
  words = new Words(res.data);
  transcript = new Transcript($("transcript"), words, {
    // a click plays from the word (as the README says, and as text-based editors do); the first tap of a
    // tap-tap selection on a phone only moves the playhead, so choosing the range is not drowned in sound
    onSeek: (i, { play = true } = {}) => {
      player.seek(words.start[i]);
      if (play) player.play();
      stats.seekAt = performance.now();
    },
    onSelect: (a, b) => { setRange(words.start[a], words.end[b]); player.pause(); player.seek(words.start[a]); },
    onPending: (i) => {
      message(i === null ? "" : `Clip starts at “${words.text[i]}”: now tap the clip's last word.`);
    },
    onEditWord: (i) => {
      const input = $("caption-words").querySelector(`input[data-i="${i}"]`);
      if (input) { input.focus(); input.select(); }
    },
  });
  if (rec.live) transcript.emptyText = "No words yet: they appear here seconds after they are spoken.";
  else if (res.data.note) transcript.emptyText = res.data.note; // a finished transcript with no speech in it
  const all = transcript.render();
  stats.firstWords = performance.now();
  const params = new URLSearchParams(location.search);
  const t = parseFloat(params.get("t"));
  if (!Number.isNaN(t)) {
    // a search result: light up the words it found, starting at t
    const until = parseFloat(params.get("until"));
    const found = (params.get("q") || "").replace(/["*()]/g, " ").split(/\s+/).filter((x) => /\w/.test(x)).length;
    const a = words.at(t + 0.0005);
    const b = !Number.isNaN(until) ? words.inside(t, until)[1] : a + Math.max(0, found - 1);
    transcript.mark("hit", Math.max(0, a), Math.max(a, b));
    player.seek(t);
    await all;
    transcript.reveal(Math.max(0, a), 0.2);
  }
  const clipId = params.get("clip");
  if (clipId) await openClip(clipId);
  restoreDraft();
  refreshClips();
  schedule();
  stats.ready = performance.now();
  await all;
  stats.rendered = performance.now();
  document.body.dataset.deskReady = "1";
  if (rec.live) followLive();
}

// --- a live recording: the transcript, timeline and player grow while it airs ---
const LIVE_POLL_MS = 3000;

function liveEdge(d) {
  $("live-edge").textContent = `Recorded ${fmt(d.duration)}; transcribed up to ${fmt(d.transcribed_until)}.`;
}

function growDuration(seconds) {
  if (!(seconds > rec.duration)) return;
  rec.duration = seconds;
  player.duration = seconds;
  timeline.duration = seconds;
  timeline.paintBack();
  $("timeline").setAttribute("aria-valuemax", seconds.toFixed(2));
  $("rec-duration").textContent = fmt(seconds);
}

async function followLive() {
  liveEdge({ duration: rec.duration, transcribed_until: rec.transcribedUntil });
  for (;;) {
    await new Promise((r) => setTimeout(r, LIVE_POLL_MS));
    const res = await api("GET", `${config.urls.words}?after=${words.n}`);
    if (!res.ok) continue; // a blip: the next poll asks again from the same word
    const d = res.data;
    if (d.from === words.n && words.extend(d)) {
      await transcript.grow();
      stats.liveWords = words.n;
    }
    growDuration(d.duration);
    liveEdge(d);
    if (d.status !== "live") {
      $("live-status").textContent = d.status === "ready"
        ? "The broadcast has ended and its whole transcript is here. Reload the page for the finished recording."
        : `The live recording stopped (${d.status}).`;
      return;
    }
  }
}

async function pollUntilReady() {
  for (;;) {
    await new Promise((r) => setTimeout(r, 3000));
    const res = await api("GET", `/api/v1/recordings/${rec.id}`);
    if (res.ok && res.data.status === "ready") { location.reload(); return; }
    if (res.ok) $("not-ready").textContent = res.data.status === "failed"
      ? `This recording failed: ${res.data.error || "unknown error"}`
      : `This recording is ${res.data.status} (${Math.round(res.data.progress * 100)}%). The transcript appears here when it is ready.`;
  }
}

start();
