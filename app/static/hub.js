// Commune autocomplete: fills the shared <datalist> from /communes?q=…; works without it too
// (the server resolves names and postal codes).
(function () {
  "use strict";
  var list = document.getElementById("communes-list");
  if (!list || !window.fetch) return;
  var timer = null, last = "";
  function fill(items) {
    list.innerHTML = "";
    items.forEach(function (c) {
      var option = document.createElement("option");
      option.value = c.label;
      option.textContent = c.name + " — " + c.dep_code;
      list.appendChild(option);
    });
  }
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-commune-autocomplete]")) return;
    var q = input.value.trim();
    if (q.length < 2 || q === last) return;
    clearTimeout(timer);
    timer = setTimeout(function () {
      last = q;
      fetch("/communes?q=" + encodeURIComponent(q), {headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(fill)
        .catch(function () {});
    }, 150);
  });
})();
