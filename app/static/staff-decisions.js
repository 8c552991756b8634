// Staff decisions without a page jump (the run page and a proposal's page). Without this script the
// forms post and come back to the same place (the run page with its filters and page, at the
// proposal's anchor) with a message naming the proposal. With it, the same form is sent with fetch():
// the server answers JSON (the message and the proposal's card again), the card is replaced in place
// and the message is read out by a live region; the focus goes to the new card.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) return;
  var live = document.querySelector("[data-decision-message]");
  if (!live) {
    live = document.createElement("div");
    live.className = "staff-live";
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    var main = document.querySelector("main") || document.body;
    main.insertBefore(live, main.firstChild);
  }

  function say(text, ok) {
    live.textContent = text || "";
    live.className = "staff-live flash " + (ok ? "flash-success" : "flash-error");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-decide]")) return;
    var button = event.submitter;
    var card = form.closest("[data-proposal-card]");
    if (!card || !button || !button.name) return;  // let the browser post it
    event.preventDefault();
    var body = new FormData(form);
    body.append(button.name, button.value);
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    fetch(form.action, {method: "POST", body: body, credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (r) {
        return r.json().then(function (answer) { return {ok: r.ok, answer: answer}; });
      })
      .then(function (result) {
        var answer = result.answer;
        if (!answer || typeof answer.html !== "string") throw new Error("unexpected answer");
        var holder = document.createElement("div");
        holder.innerHTML = answer.html.trim();
        var fresh = holder.firstElementChild;
        card.replaceWith(fresh);
        say(answer.message, answer.ok);
        var reason = fresh.querySelector("textarea[name=reason]");
        if (!answer.ok && reason) { reason.focus(); } else { fresh.focus(); }
      })
      .catch(function () {
        // Anything unexpected: post the form the ordinary way (the server redirects back here).
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = button.name;
        input.value = button.value;
        form.appendChild(input);
        form.submit();
      });
  });

  // "Tout cocher sur cette page": the bulk form's checkboxes live in the cards (form="bulk").
  var all = document.querySelector("[data-select-all]");
  if (all) {
    all.hidden = false;
    all.addEventListener("click", function () {
      var boxes = document.querySelectorAll("input[type=checkbox][form=bulk]");
      var check = Array.prototype.some.call(boxes, function (box) { return !box.checked; });
      boxes.forEach(function (box) { box.checked = check; });
    });
  }
})();
