// Every card payment page (a licence, a voucher programme, what vouchers leave of a mission's price),
// card first: Stripe.js saves the card on a SetupIntent (confirmCardSetup), the server confirms the
// PaymentIntent with it (one intent, one payment: app/billing/card.py), 3-D Secure is completed with
// confirmCardPayment, then the page waits for the webhook. Works with the real Stripe.js and with
// localstripe's stand-in (dev and tests).
//
// After an error the form stays as it is (the card element keeps what was typed): the person
// corrects the card or types another one and presses "Payer" again. That try asks the server for a
// fresh SetupIntent (a SetupIntent is used once) and posts the new card; the server still makes one
// payment per purchase (its lock and idempotency key), whatever the number of clicks.
//
// The form (form[data-card-pay]) says what differs between pages:
//   data-client-secret  a SetupIntent made with the page, for the first try (optional),
//   data-card-url       a URL that gives a fresh one (every try, or every try after the first);
//   data-send-fields    names of the form's fields posted with the card (e.g. "holder_name");
//   data-state-url      where the page asks whether the payment went through (done or granted);
//   data-card-errors    the sentence of each card error (JSON, app/billing/messages.py), by Stripe's
//                       decline code, error code or error type, plus "default";
//   data-msg-*          the French (or English) words of each other outcome.
(function () {
  "use strict";
  var form = document.querySelector("form[data-card-pay]");
  if (!form) return;
  var message = form.querySelector("[data-pay-message]");
  var button = form.querySelector("button[type=submit]");
  var data = form.dataset;
  var errors = {};
  try { errors = JSON.parse(data.cardErrors || "{}"); } catch (e) { errors = {}; }
  var pageSecret = data.clientSecret || "";
  var busy = false;

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

  // The sentence of a Stripe error, by the rule of app/billing/messages.py card_error_key: its
  // decline code, else its code, else a cancelled 3-D Secure told only in words (localstripe's
  // stand-in gives no code then), else its type, else the default sentence.
  function cardError(error) {
    error = error || {};
    var keys = [error.decline_code, error.code];
    for (var i = 0; i < keys.length; i++) {
      if (keys[i] && errors[keys[i]]) return errors[keys[i]];
    }
    if (!error.code && /authenticat/i.test(error.message || "")) return errors.authentication_failure;
    if (error.type && errors[error.type]) return errors[error.type];
    return errors["default"];
  }

  function post(url, fields) {
    var body = new URLSearchParams();
    body.append("csrf_token", form.elements.csrf_token.value);
    Object.keys(fields).forEach(function (name) { body.append(name, fields[name]); });
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); });
  }

  // The SetupIntent of this try: the page's one the first time, then a fresh one each time.
  function setupIntent() {
    if (pageSecret) {
      var secret = pageSecret;
      pageSecret = "";
      return Promise.resolve({status: "ready", client_secret: secret});
    }
    if (data.cardUrl) return post(data.cardUrl, {});
    return Promise.resolve({status: "reload"});
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
        if (state.payment === "failed") { failed(state.message); return; }
        if (tries > 0) { setTimeout(function () { poll(tries - 1); }, 1000); return; }
        say(data.msgWaiting, "info");
      })
      .catch(function () { say(data.msgWaiting, "info"); });
  }

  // An error: say it, keep the form (and the card typed) as it is, let the person try again.
  function failed(text) {
    say(text || errors["default"], "error");
    busy = false;
    button.disabled = false;
  }

  function answered(answer) {
    if (answer.status === "succeeded") { window.location.assign(answer.redirect); return null; }
    if (answer.status === "requires_action") {
      say(answer.message, "info");
      return stripe.confirmCardPayment(answer.client_secret).then(function (r) {
        var pi = r && r.paymentIntent;
        if (r.error || !pi || (pi.status !== "succeeded" && pi.status !== "processing")) {
          failed(cardError(r.error || (pi && pi.last_payment_error) ||
                           {code: "payment_intent_authentication_failure"}));
          return;
        }
        say(data.msgAuth, "info");
        poll(30);
      });
    }
    failed(answer.message);
    return null;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;  // one try at a time: a second click while paying does nothing
    busy = true;
    button.disabled = true;
    say(data.msgWorking, "info");
    setupIntent().then(function (setup) {
      if (setup.status === "reload") { window.location.reload(); return null; }
      if (setup.status !== "ready") { failed(setup.message); return null; }
      return stripe.confirmCardSetup(setup.client_secret, {payment_method: {card: card}}).then(function (result) {
        if (result.error || !result.setupIntent) { failed(cardError(result.error)); return null; }
        var paymentMethod = result.setupIntent.payment_method;
        return postUntilDecided(function () { return post(form.action, paymentFields(paymentMethod)); }, 5)
          .then(answered);
      });
    }).catch(function () { failed(data.msgNetwork); });
  });
})();
