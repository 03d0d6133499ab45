// The player: the <video> element, or — when the page has no playable media (a recording still being
// proxied, or the benchmark) — a clock that plays the transcript on its own at the same API.

export class Player {
  constructor(video, { fps, duration, media, hls = false }) {
    this.video = video;
    this.fps = fps || 25;
    this.duration = duration || 0;
    this.loop = null; // [a, b] while loop-previewing
    const synthetic = window.__deskClock; // set by the benchmark before the page loads
    this.clock = media && !synthetic ? null : { base: 0, since: 0, playing: false, rate: synthetic ? synthetic.rate || 1 : 1 };
    if (media && !synthetic && hls) this.ready = this._follow(media);
    else if (media && !synthetic) video.src = media;
    else video.hidden = !!synthetic || !media;
    this.listeners = [];
    video.addEventListener("play", () => this._emit());
    video.addEventListener("pause", () => this._emit());
    video.addEventListener("seeked", () => this._emit());
  }

  // A live recording plays the HLS playlist of its stored segments, which grows while it airs: through
  // hls.js (Media Source Extensions) where the browser has them, else natively (Safari on iPhones).
  async _follow(url) {
    let Hls = null;
    try { ({ default: Hls } = await import("./vendor/hls.light.min.js")); } catch (err) { Hls = null; }
    if (!Hls || !Hls.isSupported()) { this.video.src = url; return; }
    // no worker: the page's policy allows scripts from this site only, not blob: workers
    this.hls = new Hls({ enableWorker: false, startPosition: 0, liveDurationInfinity: false });
    this.hls.loadSource(url);
    this.hls.attachMedia(this.video);
  }

  on(fn) { this.listeners.push(fn); }
  _emit() { for (const fn of this.listeners) fn(); }

  get time() {
    if (!this.clock) return this.video.currentTime;
    const c = this.clock;
    return c.playing ? Math.min(this.duration, c.base + ((performance.now() - c.since) / 1000) * c.rate) : c.base;
  }

  get paused() { return this.clock ? !this.clock.playing : this.video.paused; }

  seek(t) {
    t = Math.max(0, Math.min(this.duration || t, t));
    if (this.clock) { this.clock.base = t; this.clock.since = performance.now(); this._emit(); }
    else this.video.currentTime = t;
  }

  play() {
    if (this.clock) {
      if (!this.clock.playing) { this.clock.base = this.time; this.clock.since = performance.now(); this.clock.playing = true; }
      this._emit();
      return;
    }
    const p = this.video.play();
    if (p && p.catch) p.catch(() => {}); // a play() interrupted by a seek or pause is not an error
  }

  pause() {
    this.loop = null;
    if (this.clock) { this.clock.base = this.time; this.clock.playing = false; this._emit(); return; }
    this.video.pause();
  }

  toggle() { if (this.paused) this.play(); else this.pause(); }

  set rate(r) {
    if (this.clock) { this.clock.base = this.time; this.clock.since = performance.now(); this.clock.rate = r; }
    else this.video.playbackRate = r;
  }

  get rate() { return this.clock ? this.clock.rate : this.video.playbackRate; }

  // One frame on the recording's grid.
  frame(t, n) { return Math.round((t + n / this.fps) * 1000) / 1000; }

  // Plays [a, b] over and over until paused.
  loopPreview(a, b) {
    this.seek(a);
    this.play();
    this.loop = [a, b];
  }

  // Called every animation frame while playing: keeps the loop inside its range.
  tick() {
    if (this.loop && !this.paused && this.time >= this.loop[1]) this.seek(this.loop[0]);
  }
}
