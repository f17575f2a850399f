/* global Stripe */
// Stripe's Payment Element (card, Alipay, WeChat Pay as enabled on the account); used only with
// real Stripe keys. The order is marked paid by the webhook, not by this page.
(function () {
  var form = document.getElementById('payment-form');
  if (!form || typeof Stripe !== 'function') return;
  var stripe = Stripe(form.getAttribute('data-publishable-key'));
  var elements = stripe.elements({
    clientSecret: form.getAttribute('data-client-secret'),
    locale: document.documentElement.lang === 'en' ? 'en' : 'zh',
  });
  elements.create('payment').mount('#payment-element');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    stripe
      .confirmPayment({
        elements: elements,
        confirmParams: {
          return_url: new URL(form.getAttribute('data-return-url'), location.href).href,
        },
      })
      .then(function (result) {
        if (result.error)
          document.getElementById('payment-error').textContent = result.error.message;
      });
  });
})();
