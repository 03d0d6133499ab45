// Keyboard shortcuts for the recording page (the `?` dialog lists them). Keys typed into a text field
// stay in the field, except Enter in a one-line field (saves) and Escape (leaves the field).

function typing(el) {
  return el && (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT" ||
    (el.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(el.type)));
}

// actions: {toggle, pause, back, forward, word(+-1), frame(+-1), setIn, setOut, nudge(which, unit, dir),
//           loop, save, follow, help}
export function bindKeys(actions) {
  document.addEventListener("keydown", (e) => {
    const target = e.target;
    if (typing(target)) {
      if (e.key === "Escape") target.blur();
      else if (e.key === "Enter" && target.tagName === "INPUT" && !e.isComposing) { e.preventDefault(); actions.save(); }
      return;
    }
    if (e.altKey || e.metaKey) return; // leave the browser's own shortcuts alone
    if (document.querySelector("dialog[open]") && e.key !== "?") return;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const ctrl = e.ctrlKey, shift = e.shiftKey;
    let handled = true;
    if (key === " " && target.tagName !== "BUTTON") actions.toggle();
    else if (key === "k" && !ctrl) actions.pause();
    else if (key === "j" && !ctrl) actions.back();
    else if (key === "l" && !ctrl) actions.forward();
    else if (key === "i" && !ctrl) actions.setIn();
    else if (key === "o" && !ctrl) actions.setOut();
    else if (key === "p" && !ctrl) actions.loop();
    else if (key === "f" && !ctrl) actions.follow();
    else if (key === "?") actions.help();
    else if (key === "Enter" && target.tagName !== "BUTTON" && target.tagName !== "A") actions.save();
    else if (key === "ArrowLeft" || key === "ArrowRight") {
      const dir = key === "ArrowLeft" ? -1 : 1;
      if (shift) actions.nudge("out", "word", dir);
      else if (ctrl) actions.nudge("in", "word", dir);
      else actions.word(dir);
    } else if ([",", ".", "<", ">"].includes(key)) {
      const dir = key === "," || key === "<" ? -1 : 1;
      if (shift || key === "<" || key === ">") actions.nudge("out", "frame", dir);
      else if (ctrl) actions.nudge("in", "frame", dir);
      else actions.frame(dir);
    } else handled = false;
    if (handled) e.preventDefault();
  });
}
