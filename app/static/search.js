// Search page: the "Affiner" panel (a <details>) starts closed, so that on a phone the
// results come first; on a wide screen, where it sits beside them, it opens. Without
// JavaScript it stays a working disclosure.
(function () {
  "use strict";
  var panel = document.querySelector("details[data-open-from]");
  if (!panel || !window.matchMedia) return;
  if (window.matchMedia("(min-width: " + panel.getAttribute("data-open-from") + ")").matches) panel.open = true;
})();
