// The transcript: one <span> per word, one paragraph per segment, built in chunks so a 3-hour
// recording (~30,000 words) is usable after the first chunk. Words are found by binary search on
// typed arrays; highlighting touches only the word that stopped and the word that started.

const FIRST_CHUNK = 1200; // words rendered before the page becomes interactive
const CHUNK = 400; // then small chunks in idle time, as many as fit, so clicks and playback never wait long

function whenIdle(fn) {
  if (window.requestIdleCallback) requestIdleCallback(fn, { timeout: 150 });
  else setTimeout(() => fn({ timeRemaining: () => 8, didTimeout: false }), 0);
}

function escapeHtml(text) {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

export class Words {
  // data: {s: [start ms...], e: [end ms...], w: [text...], seg: [first word of each segment], spk: [speaker...]}
  constructor(data) {
    const n = data.w.length;
    this.n = n;
    this.text = data.w;
    this.start = new Float64Array(n);
    this.end = new Float64Array(n);
    this.mid = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.start[i] = data.s[i] / 1000;
      this.end[i] = data.e[i] / 1000;
      this.mid[i] = (this.start[i] + this.end[i]) / 2;
    }
    this.seg = data.seg || [];
    this.spk = data.spk || [];
    this.unsure = new Set(data.unsure || []);
  }

  // Adds the words a live recording stored since (data as from ``?after=n``: indexes go on from n).
  extend(data) {
    const add = data.w.length;
    if (!add) return 0;
    const n = this.n + add;
    const longer = (old) => { const a = new Float64Array(n); a.set(old); return a; };
    this.start = longer(this.start); this.end = longer(this.end); this.mid = longer(this.mid);
    for (let k = 0; k < add; k++) {
      const i = this.n + k;
      this.start[i] = data.s[k] / 1000;
      this.end[i] = data.e[k] / 1000;
      this.mid[i] = (this.start[i] + this.end[i]) / 2;
    }
    this.text = this.text.concat(data.w);
    const seg = data.seg || [], spk = data.spk || [];
    if (seg[0] !== this.n) { // the new words go on a paragraph already shown: they start one of their own
      this.seg.push(this.n);
      this.spk.push(this.spk.length ? this.spk[this.spk.length - 1] : "");
    }
    for (let k = 0; k < seg.length; k++) { this.seg.push(seg[k]); this.spk.push(spk[k] || ""); }
    for (const i of data.unsure || []) this.unsure.add(i);
    this.n = n;
    return add;
  }

  key(i) { return Math.round(this.start[i] * 1000); }

  // The last word that starts at or before t (-1 before the first word).
  at(t) {
    let lo = 0, hi = this.n - 1, found = -1;
    while (lo <= hi) {
      const m = (lo + hi) >> 1;
      if (this.start[m] <= t + 1e-6) { found = m; lo = m + 1; } else { hi = m - 1; }
    }
    return found;
  }

  // The first index whose array value is >= t (n when none).
  lowerBound(arr, t) {
    let lo = 0, hi = this.n;
    while (lo < hi) { const m = (lo + hi) >> 1; if (arr[m] < t) lo = m + 1; else hi = m; }
    return lo;
  }

  // Words a clip [a, b] carries as captions: those whose middle is inside (the server's rule).
  inside(a, b) {
    const first = this.lowerBound(this.mid, a - 1e-6);
    let last = this.lowerBound(this.mid, b + 1e-6) - 1;
    if (last < first) return [first, first - 1];
    return [first, last];
  }
}

export class Transcript {
  constructor(el, words, { onSeek, onSelect, onEditWord, onPending = () => {} }) {
    this.el = el;
    this.words = words;
    this.spans = new Array(words.n);
    this.rendered = 0;
    this.current = -1;
    this.selection = [0, -1];
    this.anchor = -1;
    this.marks = new Map(); // class name -> [first, last]
    this.onSeek = onSeek;
    this.onSelect = onSelect;
    this.onEditWord = onEditWord;
    this.onPending = onPending;
    this.justSelected = false;
    this.pointer = "mouse"; // the kind of pointer behind the last click: "touch" taps select first..last
    this.pending = -1; // on touch: the first word tapped, waiting for the last one
  }

  // Renders the first chunk now and the rest in later tasks; resolves when every word is on the page.
  render() {
    this.el.textContent = "";
    if (!this.words.n) {
      this.el.innerHTML = `<p class="hint">${this.emptyText || "No words in this transcript."}</p>`;
      return Promise.resolve();
    }
    this._bind();
    this._segIndex = 0;
    this._chunk(FIRST_CHUNK);
    this.rendering = true;
    return new Promise((resolve) => {
      const step = (deadline) => {
        do { this._chunk(CHUNK); } while (this.rendered < this.words.n && deadline.timeRemaining() > 4);
        if (this.rendered >= this.words.n) { this.rendering = false; resolve(); return; }
        whenIdle(step);
      };
      whenIdle(step);
    });
  }

  // Shows words added to ``words`` since (a live recording's transcript growing as it airs).
  grow() {
    if (!this.rendered) return this.render(); // the first words: replaces the "no words yet" note
    if (!this.rendering) this._chunk(this.words.n - this.rendered); // else the render loop takes them in
    return Promise.resolve();
  }

  _chunk(size) {
    const w = this.words, seg = w.seg.length ? w.seg : [0];
    const target = Math.min(w.n, this.rendered + size), firstNew = this.rendered;
    const parts = [];
    let s = this._segIndex;
    let prevSpeaker = s > 0 ? (w.spk[s - 1] || "") : "";
    while (s < seg.length && seg[s] < target) {
      const from = seg[s], to = s + 1 < seg.length ? seg[s + 1] : w.n;
      const speaker = w.spk[s] || "";
      parts.push(`<p class="seg" data-s="${s}">`);
      if (speaker && speaker !== prevSpeaker) parts.push(`<span class="spk">${escapeHtml(speaker)}</span>`);
      prevSpeaker = speaker;
      for (let i = from; i < to; i++) {
        parts.push(`<span class="w${w.unsure.has(i) ? " u" : ""}" data-i="${i}">${escapeHtml(w.text[i])}</span> `);
      }
      parts.push("</p>");
      s++;
      this.rendered = to;
    }
    this._segIndex = s;
    const before = this.el.children.length;
    this.el.insertAdjacentHTML("beforeend", parts.join(""));
    const paragraphs = this.el.children;
    for (let p = before; p < paragraphs.length; p++) {
      for (const span of paragraphs[p].children) {
        if (span.dataset.i !== undefined) this.spans[+span.dataset.i] = span;
      }
    }
    this._reapply(firstNew, this.rendered);
  }

  // Classes set before a word was rendered are applied once it exists (words [from, to)).
  _reapply(from = 0, to = this.words.n) {
    for (const [cls, [a, b]] of this.marks) this._paint(cls, Math.max(a, from), Math.min(b, to - 1), true);
    if (this.current >= from && this.current < to && this.spans[this.current]) this.spans[this.current].classList.add("cur");
  }

  _bind() {
    this.el.addEventListener("pointerdown", (e) => { this.pointer = e.pointerType || "mouse"; });
    this.el.addEventListener("click", (e) => {
      const span = e.target.closest && e.target.closest(".w");
      if (!span) return;
      if (this.justSelected) { this.justSelected = false; return; }
      const i = +span.dataset.i;
      if (this.pointer === "touch" && !e.shiftKey) {
        // a phone has no shift key and dragging scrolls: tap the first word, then the last
        e.preventDefault();
        if (this.pending < 0) {
          this.pending = i;
          this.anchor = i;
          this.mark("pending", i, i);
          this.onSeek(i, { play: false });
          this.onPending(i);
        } else {
          const a = Math.min(this.pending, i), b = Math.max(this.pending, i);
          this.pending = -1;
          this.mark("pending", 0, -1);
          this.onPending(null);
          this.onSelect(a, b);
        }
        return;
      }
      if (e.shiftKey && this.anchor >= 0) {
        e.preventDefault();
        window.getSelection().removeAllRanges();
        this.onSelect(Math.min(this.anchor, i), Math.max(this.anchor, i));
        return;
      }
      this.anchor = i;
      this.onSeek(i);
    });
    this.el.addEventListener("dblclick", (e) => {
      const span = e.target.closest && e.target.closest(".w");
      if (span) this.onEditWord(+span.dataset.i);
    });
    this.el.addEventListener("mouseup", (e) => {
      if (e.shiftKey) return;
      const sel = window.getSelection();
      if (!sel || sel.isCollapsed || !this.el.contains(sel.anchorNode)) return;
      const a = this._wordOf(sel.anchorNode, sel.anchorOffset), b = this._wordOf(sel.focusNode, sel.focusOffset);
      if (a < 0 || b < 0) return;
      sel.removeAllRanges();
      this.justSelected = true;
      setTimeout(() => { this.justSelected = false; }, 0);
      this.onSelect(Math.min(a, b), Math.max(a, b));
    });
  }

  // The word a selection end is in; a space between words counts as the word before it.
  _wordOf(node, offset) {
    let el = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    if (el && el.classList && el.classList.contains("seg")) {
      const child = node.nodeType === Node.TEXT_NODE ? node.previousElementSibling : el.children[Math.max(0, offset - 1)];
      el = child || el.querySelector(".w");
    }
    const span = el && el.closest ? el.closest(".w") : null;
    return span ? +span.dataset.i : -1;
  }

  _paint(cls, a, b, on) {
    for (let i = Math.max(0, a); i <= b && i < this.words.n; i++) {
      const span = this.spans[i];
      if (span) span.classList.toggle(cls, on);
    }
  }

  // Marks words [a, b] with a class (the selection "sel", search hits "hit"), clearing its old range.
  mark(cls, a, b) {
    const old = this.marks.get(cls);
    if (old) this._paint(cls, old[0], old[1], false);
    this.marks.set(cls, [a, b]);
    this._paint(cls, a, b, true);
  }

  // The word being spoken; returns true when it changed.
  highlight(i, follow) {
    if (i === this.current) return false;
    const old = this.spans[this.current];
    if (old) old.classList.remove("cur");
    this.current = i;
    const span = this.spans[i];
    if (span) {
      span.classList.add("cur");
      // Checking the scroll position forces a layout: at most a few times a second is plenty.
      const now = performance.now();
      if (follow && now - (this.revealedAt || 0) > 150) { this.revealedAt = now; this.reveal(i); }
    }
    return true;
  }

  reveal(i, where = 0.33) {
    const span = this.spans[i];
    if (!span) return;
    // measured from the box, not offsetTop: a paragraph with content-visibility is its words' offsetParent
    const box = this.el, h = box.clientHeight;
    const top = span.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop;
    if (top < box.scrollTop + 8 || top > box.scrollTop + h - 40) box.scrollTop = Math.max(0, top - h * where);
  }

  setText(i, text, fixed) {
    const span = this.spans[i];
    if (!span) return;
    span.textContent = text;
    span.classList.toggle("fix", fixed);
  }
}
