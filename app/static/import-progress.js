// The import report page (/donnees/imports/<id>): while the import job runs, the progress bar follows it,
// then the page reloads with the full report.
(function () {
  "use strict";
  function init() {
    var bar = document.getElementById("import-progress");
    if (!bar) return;
    var url = bar.getAttribute("data-url");
    var text = document.getElementById("import-progress-text");
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (state) {
          bar.max = Math.max(1, state.total);
          bar.value = state.done;
          if (text) text.textContent = state.done + " / " + state.total;
          if (state.status === "done" || state.status === "failed") window.location.reload();
          else window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    poll();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
