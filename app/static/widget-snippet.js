// The snippet page (/donnees/widget): the code to copy and the preview follow the filters as they change.
(function () {
  "use strict";
  function init() {
    var form = document.getElementById("widget-form");
    var code = document.getElementById("widget-code");
    var preview = document.getElementById("widget-preview");
    if (!form || !code || !preview) return;
    var base = form.getAttribute("data-widget-base");
    function update() {
      var params = new URLSearchParams();
      ["departement", "categorie", "nombre"].forEach(function (name) {
        var value = form.elements[name].value;
        if (value && !(name === "nombre" && value === "10")) params.set(name, value);
      });
      var query = params.toString();
      var url = base + (query ? "?" + query : "");
      code.value = code.value.replace(/src="[^"]*"/, 'src="' + url + '"');
      preview.src = url;
    }
    form.addEventListener("change", update);
    code.addEventListener("focus", function () { code.select(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
