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

// Search suggestions: titles from /recherche/suggestions fill the search box's datalist.
(function () {
  "use strict";
  var input = document.querySelector("[data-suggest]");
  var list = document.getElementById("suggestions");
  if (!input || !list || !window.fetch) return;
  var timer = null;
  input.addEventListener("input", function () {
    var q = input.value.trim();
    if (q.length < 2) return;
    clearTimeout(timer);
    timer = setTimeout(function () {
      var type = document.getElementById("type");
      fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(q) +
            (type ? "&type=" + encodeURIComponent(type.value) : ""))
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (titles) {
          list.innerHTML = "";
          titles.forEach(function (t) { var o = document.createElement("option"); o.value = t; list.appendChild(o); });
        }).catch(function () {});
    }, 150);
  });
})();
