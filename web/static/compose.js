// The composer's live count: each channel's text (plus the imprint) against that platform's limit,
// in graphemes for Bluesky (Intl.Segmenter), and the chosen version against its size/duration limits.
(function () {
  "use strict";
  var imprintEl = document.getElementById("imprint");
  var imprint = imprintEl ? imprintEl.textContent.trim() : "";
  var segmenter = window.Intl && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;

  function length(text, how) {
    if (how === "graphemes" && segmenter) { return Array.from(segmenter.segment(text)).length; }
    return Array.from(text).length;
  }

  function finalText(text) {
    text = text.trim();
    if (imprint && text.indexOf(imprint) === -1) { return text ? text + "\n\n" + imprint : imprint; }
    return text;
  }

  function update(fs) {
    var area = fs.querySelector("textarea");
    var out = fs.querySelector(".count");
    var max = parseInt(fs.dataset.max, 10);
    var how = fs.dataset.count;
    var n = length(finalText(area.value), how);
    var problems = [];
    if (n > max) { problems.push((n - max) + " over the limit"); }
    var option = fs.querySelector("select").selectedOptions[0];
    if (option) {
      var bytes = parseInt(option.dataset.bytes, 10), maxBytes = parseInt(fs.dataset.maxBytes, 10);
      var secs = parseFloat(option.dataset.seconds), maxSecs = parseFloat(fs.dataset.maxSeconds);
      if (maxBytes && bytes > maxBytes) { problems.push("video over " + (maxBytes / 1e6).toFixed(1) + " MB"); }
      if (maxSecs && secs > maxSecs + 0.05) { problems.push("video over " + Math.round(maxSecs) + " s"); }
    }
    out.textContent = n + " / " + max + " " + how + (problems.length ? " — " + problems.join(", ") : "");
    out.classList.toggle("error", problems.length > 0);
  }

  document.querySelectorAll(".compose-channel").forEach(function (fs) {
    fs.querySelector("textarea").addEventListener("input", function () { update(fs); });
    fs.querySelector("select").addEventListener("change", function () { update(fs); });
    update(fs);
  });
})();
