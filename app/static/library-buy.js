// Buying a licence of a knowledge-base resource by card (library/buy.html), card first: a SetupIntent
// saves the card (confirmCardSetup), the server confirms the payment with it, 3-D Secure is completed with
// confirmCardPayment, then the page waits for the webhook to grant the licence.
(function () {
  "use strict";
  var form = document.getElementById("licence-pay-form");
  if (!form) return;
  var message = document.getElementById("licence-pay-message");
  var button = document.getElementById("licence-pay-button");
  var data = form.dataset;
  function say(text) { message.textContent = text || ""; }
  if (typeof window.Stripe !== "function") { say(data.msgNetwork); button.disabled = true; return; }
  var stripe = window.Stripe(data.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  function post(url, fields) {
    var body = new URLSearchParams();
    body.append("csrf_token", form.elements.csrf_token.value);
    Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
    return fetch(url, {method: "POST", body: body, credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); });
  }
  function poll(tries) {
    fetch(data.stateUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (state) {
        if (state.granted) { window.location.assign(state.redirect); return; }
        if (state.payment === "failed") { say(state.message); button.disabled = false; return; }
        if (tries > 0) { setTimeout(function () { poll(tries - 1); }, 1000); return; }
        say(data.msgWaiting);
      })
      .catch(function () { say(data.msgWaiting); });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    say(data.msgWorking);
    post(data.cardUrl, {}).then(function (setup) {
      if (setup.status !== "ready") { say(setup.message); button.disabled = false; return null; }
      return stripe.confirmCardSetup(setup.client_secret, {payment_method: {card: card}}).then(function (result) {
        if (result.error || !result.setupIntent) { say(data.msgCard); button.disabled = false; return null; }
        return window.hubCardPay.postUntilDecided(function () {
          return post(form.action, {payment_method: result.setupIntent.payment_method,
                                    holder_name: form.elements.holder_name.value});
        }, 5, say).then(function (answer) {
          if (answer.status === "succeeded") { window.location.assign(answer.redirect); return null; }
          if (answer.status === "requires_action") {
            say(answer.message);
            return stripe.confirmCardPayment(answer.client_secret).then(function (r) {
              var pi = r && r.paymentIntent;
              if (r.error || !pi || (pi.status !== "succeeded" && pi.status !== "processing")) {
                say(data.msgAuthFailed); button.disabled = false; return;
              }
              say(data.msgAuth);
              poll(30);
            });
          }
          say(answer.message);
          button.disabled = false;
          return null;
        });
      });
    }).catch(function () { say(data.msgNetwork); button.disabled = false; });
  });
})();
