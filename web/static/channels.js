// Channels admin page: show only the fields of the platform chosen.
(function () {
  "use strict";
  var kind = document.getElementById("kind");
  if (!kind) { return; }
  function show() {
    document.querySelectorAll(".kind-fields").forEach(function (fs) { fs.hidden = fs.dataset.kind !== kind.value; });
  }
  kind.addEventListener("change", show);
  show();
})();
