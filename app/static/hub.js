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

// Header menu (under 700 px): the "Menu" button shows and hides the navigation. Without this script the
// button stays hidden and the navigation open. Escape closes the menu (or the open sub-menu) and gives the
// focus back to the control that opened it; a click elsewhere closes the sub-menu.
(function () {
  "use strict";
  var button = document.querySelector(".menu-toggle");
  var nav = button && document.getElementById(button.getAttribute("aria-controls"));
  var submenus = document.querySelectorAll(".site-nav details");
  function closeSubmenus(except) {
    Array.prototype.forEach.call(submenus, function (d) { if (d !== except) d.open = false; });
  }
  if (button && nav) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      if (!open) closeSubmenus(null);
    });
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") return;
    var inside = event.target.closest ? event.target.closest(".site-nav details[open]") : null;
    if (inside) {
      inside.open = false;
      inside.querySelector("summary").focus();
      return;
    }
    if (button && nav && button.getAttribute("aria-expanded") === "true" &&
        (nav.contains(event.target) || event.target === button)) {
      button.setAttribute("aria-expanded", "false");
      closeSubmenus(null);
      button.focus();
    }
  });
  document.addEventListener("click", function (event) {
    var inside = event.target.closest ? event.target.closest(".site-nav details") : null;
    closeSubmenus(inside);
  });
  Array.prototype.forEach.call(submenus, function (d) {
    // Leaving the sub-menu with Tab closes it (on desktops it floats over the page).
    d.addEventListener("focusout", function (event) {
      if (event.relatedTarget && !d.contains(event.relatedTarget)) d.open = false;
    });
  });
})();
