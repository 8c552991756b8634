// Every card payment page (a licence, a voucher programme, what vouchers leave of a mission's price),
// card first: Stripe.js saves the card on a SetupIntent (confirmCardSetup), the server confirms the
// PaymentIntent with it (one intent, one payment: app/billing/card.py), 3-D Secure is completed with
// confirmCardPayment, then the page waits for the webhook. Works with the real Stripe.js and with
// localstripe's stand-in (dev and tests).
//
// The form (form[data-card-pay]) says what differs between pages:
//   data-client-secret  a SetupIntent made with the page (used once: another card needs a new page),
//   data-card-url       or a URL that gives one at each try;
//   data-send-fields    names of the form's fields posted with the card (e.g. "holder_name");
//   data-state-url      where the page asks whether the payment went through (done or granted);
//   data-msg-*          the French (or English) words of each outcome.
(function () {
  "use strict";
  var form = document.querySelector("form[data-card-pay]");
  if (!form) return;
  var message = form.querySelector("[data-pay-message]");
  var button = form.querySelector("button[type=submit]");
  var data = form.dataset;

  function say(text, kind) {
    message.textContent = text || "";
    message.className = "pay-message" + (kind ? " pay-" + kind : "");
  }
  if (typeof window.Stripe !== "function") {
    say(data.msgNetwork, "error");
    button.disabled = true;
    return;
  }
  var stripe = window.Stripe(data.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");

  function post(url, fields) {
    var body = new URLSearchParams();
    body.append("csrf_token", form.elements.csrf_token.value);
    Object.keys(fields).forEach(function (name) { body.append(name, fields[name]); });
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); });
  }

  function setupIntent() {
    if (data.cardUrl) return post(data.cardUrl, {});
    return Promise.resolve({status: "ready", client_secret: data.clientSecret});
  }

  function paymentFields(paymentMethod) {
    var fields = {payment_method: paymentMethod};
    (data.sendFields || "").split(",").filter(Boolean).forEach(function (name) {
      fields[name] = form.elements[name].value;
    });
    return fields;
  }

  // "in_progress" (409): another request holds this payment (a second tab, or on SQLite a write of
  // the webhook at the same instant). The server charges once per intent: ask again shortly.
  function postUntilDecided(send, tries) {
    return send().then(function (answer) {
      if (answer.status !== "in_progress" || answer.client_secret || tries <= 0) return answer;
      say(answer.message, "info");
      return new Promise(function (resolve) { setTimeout(resolve, 1500); })
        .then(function () { return postUntilDecided(send, tries - 1); });
    });
  }

  function poll(tries) {
    fetch(data.stateUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (state) {
        if (state.done || state.granted) { window.location.assign(state.redirect); return; }
        if (state.payment === "failed") { say(state.message, "error"); retry(); return; }
        if (tries > 0) { setTimeout(function () { poll(tries - 1); }, 1000); return; }
        say(data.msgWaiting, "info");
      })
      .catch(function () { say(data.msgWaiting, "info"); });
  }

  function retry() {
    button.disabled = false;
    // A SetupIntent is used once: with one made with the page, another card needs a fresh page.
    if (!data.cardUrl) button.dataset.reload = "1";
  }

  function answered(answer) {
    if (answer.status === "succeeded") { window.location.assign(answer.redirect); return null; }
    if (answer.status === "requires_action") {
      say(answer.message, "info");
      return stripe.confirmCardPayment(answer.client_secret).then(function (r) {
        var pi = r && r.paymentIntent;
        if (r.error || !pi || (pi.status !== "succeeded" && pi.status !== "processing")) {
          say(data.msgAuthFailed, "error"); retry(); return;
        }
        say(data.msgAuth, "info");
        poll(30);
      });
    }
    say(answer.message, "error");
    retry();
    return null;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (button.dataset.reload) { window.location.reload(); return; }
    button.disabled = true;
    say(data.msgWorking, "info");
    setupIntent().then(function (setup) {
      if (setup.status !== "ready") { say(setup.message, "error"); retry(); return null; }
      return stripe.confirmCardSetup(setup.client_secret, {payment_method: {card: card}}).then(function (result) {
        if (result.error || !result.setupIntent) { say(data.msgCard, "error"); retry(); return null; }
        var paymentMethod = result.setupIntent.payment_method;
        return postUntilDecided(function () { return post(form.action, paymentFields(paymentMethod)); }, 5)
          .then(answered);
      });
    }).catch(function () { say(data.msgNetwork, "error"); retry(); });
  });
})();
