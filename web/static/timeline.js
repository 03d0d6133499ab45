// The timeline: the waveform (from the recording's peaks JSON; nothing when there is none), the clips
// already marked, the selection and the playhead. The still parts are drawn once to an offscreen
// canvas; each frame only copies it and draws the playhead.

const COLORS = { wave: "#7d8aa0", clip: "rgba(11, 107, 47, .28)", clipEdge: "#0b6b2f", sel: "rgba(11, 87, 208, .30)",
  selEdge: "#0b57d0", head: "#d00000" };

export class Timeline {
  constructor(canvas, duration, onSeek) {
    this.canvas = canvas;
    this.duration = Math.max(duration, 0.001);
    this.peaks = null;
    this.clips = [];
    this.selection = null;
    this.head = 0;
    this.back = document.createElement("canvas");
    this._drawnHead = -1;
    const seekAt = (e) => {
      const box = canvas.getBoundingClientRect();
      onSeek(((e.clientX - box.left) / box.width) * this.duration);
    };
    canvas.addEventListener("pointerdown", (e) => {
      seekAt(e);
      canvas.setPointerCapture(e.pointerId);
      const move = (m) => seekAt(m);
      canvas.addEventListener("pointermove", move);
      canvas.addEventListener("pointerup", () => canvas.removeEventListener("pointermove", move), { once: true });
    });
    new ResizeObserver(() => this.layout()).observe(canvas);
  }

  // Peaks JSON: a list of numbers, or an object with "peaks" / "data" (pairs of min,max are fine too).
  async loadPeaks(url) {
    if (!url) return;
    try {
      const res = await fetch(url);
      if (!res.ok) return;
      const json = await res.json();
      const list = Array.isArray(json) ? json : json.peaks || json.data || [];
      const flat = list.flat ? list.flat() : list;
      const values = Float32Array.from(flat, (v) => Math.abs(+v || 0));
      const max = values.reduce((m, v) => (v > m ? v : m), 0) || 1;
      this.peaks = values.map((v) => v / max);
      this.paintBack();
    } catch (err) {
      this.peaks = null; // no waveform is better than a broken page
    }
  }

  layout() {
    const ratio = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * ratio));
    this.canvas.width = this.back.width = w;
    this.canvas.height = this.back.height = h;
    this.paintBack();
  }

  setClips(clips) { this.clips = clips; this.paintBack(); }
  setSelection(sel) { this.selection = sel; this.paintBack(); }

  x(t) { return (t / this.duration) * this.back.width; }

  paintBack() {
    const g = this.back.getContext("2d"), w = this.back.width, h = this.back.height;
    g.clearRect(0, 0, w, h);
    if (this.peaks && this.peaks.length) {
      g.fillStyle = COLORS.wave;
      const per = this.peaks.length / w;
      for (let px = 0; px < w; px++) {
        let m = 0;
        const from = Math.floor(px * per), to = Math.max(from + 1, Math.floor((px + 1) * per));
        for (let k = from; k < to && k < this.peaks.length; k++) if (this.peaks[k] > m) m = this.peaks[k];
        const bar = Math.max(1, m * (h - 4));
        g.fillRect(px, (h - bar) / 2, 1, bar);
      }
    }
    for (const c of this.clips) this._range(g, c.start, c.end, COLORS.clip, COLORS.clipEdge, h);
    if (this.selection) this._range(g, this.selection[0], this.selection[1], COLORS.sel, COLORS.selEdge, h);
    this._drawnHead = -1;
    this.draw(this.head, true);
  }

  _range(g, a, b, fill, edge, h) {
    const x0 = this.x(a), x1 = Math.max(x0 + 2, this.x(b));
    g.fillStyle = fill;
    g.fillRect(x0, 0, x1 - x0, h);
    g.fillStyle = edge;
    g.fillRect(x0, 0, 1, h);
    g.fillRect(x1 - 1, 0, 1, h);
  }

  draw(t, force = false) {
    this.head = t;
    const px = Math.round(this.x(t));
    if (!force && px === this._drawnHead) return;
    this._drawnHead = px;
    const g = this.canvas.getContext("2d");
    g.clearRect(0, 0, this.canvas.width, this.canvas.height);
    g.drawImage(this.back, 0, 0);
    g.fillStyle = COLORS.head;
    g.fillRect(px - 1, 0, 2, this.canvas.height);
  }
}
