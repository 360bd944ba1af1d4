// Card payment with Stripe.js: the card goes straight to Stripe, the form sends only the
// PaymentMethod id. A static file configured by its data- attributes, because the
// Content-Security-Policy allows no inline script without a nonce.
(function () {
  var config = document.currentScript.dataset;
  var stripe = Stripe(config.publishableKey);
  var errorBox = document.getElementById("pay-error");
  function showError(text) { errorBox.textContent = text; errorBox.hidden = false; }
  if (config.clientSecret) {  /* 3-D Secure: Stripe shows the bank's page, then we show the result */
    stripe.handleNextAction({clientSecret: config.clientSecret}).then(function () { window.location = config.resultUrl; });
    return;
  }
  var card = stripe.elements({locale: config.locale}).create("card", {hidePostalCode: true});
  card.mount("#card-element");
  var form = document.getElementById("card-form"), button = document.getElementById("pay-button"), sent = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sent) { return; }  /* the server also refuses a second charge for the same key */
    sent = true; button.disabled = true;
    stripe.createPaymentMethod({type: "card", card: card}).then(function (answer) {
      if (answer.error) { sent = false; button.disabled = false; showError(answer.error.message); return; }
      document.getElementById("payment-method").value = answer.paymentMethod.id;
      form.submit();
    });
  });
})();
