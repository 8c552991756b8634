// Paying by card (a voucher programme, or what vouchers leave of a mission's price), card first: Stripe.js saves the card on a SetupIntent
// (confirmCardSetup), the server confirms the PaymentIntent with it, and 3-D Secure is
// completed with confirmCardPayment; then the page waits for the webhook.
// Works with the real Stripe.js and with localstripe's stand-in (dev and tests).
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  if (!form) return;
  var message = document.getElementById("pay-message");
  var button = document.getElementById("pay-button");
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

  function post(paymentMethod) {
    var body = new URLSearchParams();
    body.append("csrf_token", form.elements.csrf_token.value);
    body.append("payment_method", paymentMethod);
    return fetch(form.action, {method: "POST", body: body, credentials: "same-origin",
                               headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); });
  }

  function poll(tries) {
    fetch(data.stateUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (state) {
        if (state.done) { window.location.assign(state.redirect); return; }
        if (state.payment === "failed") { say(state.message, "error"); retry(); return; }
        if (tries > 0) { setTimeout(function () { poll(tries - 1); }, 1000); return; }
        say(data.msgWaiting, "info");
      })
      .catch(function () { say(data.msgWaiting, "info"); });
  }

  function retry() {
    // A SetupIntent is used once: another card needs a fresh page (a new SetupIntent).
    button.disabled = false;
    button.dataset.reload = "1";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (button.dataset.reload) { window.location.reload(); return; }
    button.disabled = true;
    say(data.msgWorking, "info");
    stripe.confirmCardSetup(data.clientSecret, {payment_method: {card: card}})
      .then(function (result) {
        if (result.error || !result.setupIntent) { say(data.msgCard, "error"); retry(); return null; }
        var send = function () { return post(result.setupIntent.payment_method); };
        var wait = function (text) { say(text, "info"); };
        return window.hubCardPay.postUntilDecided(send, 5, wait).then(function (answer) {
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
        });
      })
      .catch(function () { say(data.msgNetwork, "error"); retry(); });
  });
})();
