// What every card payment page shares (vouchers-pay.js, library-buy.js).
window.hubCardPay = {
  // "in_progress" (409): another request holds this payment (a second tab, or on SQLite a write of
  // the webhook at the same instant). The server charges once per intent: ask again shortly.
  postUntilDecided: function postUntilDecided(send, tries, say) {
    return send().then(function (answer) {
      if (answer.status !== "in_progress" || answer.client_secret || tries <= 0) return answer;
      say(answer.message);
      return new Promise(function (resolve) { setTimeout(resolve, 1500); })
        .then(function () { return postUntilDecided(send, tries - 1, say); });
    });
  }
};
