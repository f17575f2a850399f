// Keeps an order page current: status and timeline change as the order moves, no reload.
/* global io */
(function () {
  var article = document.querySelector('[data-order-no]');
  if (!article || typeof io !== 'function') return;
  var orderNo = article.getAttribute('data-order-no');
  var labels = JSON.parse(article.getAttribute('data-labels') || '{}');
  var socket = io({ transports: ['websocket', 'polling'] });
  var hint = document.getElementById('live-hint');

  function pad(n) {
    return (n < 10 ? '0' : '') + n;
  }
  function chinaTime(iso) {
    var d = new Date(new Date(iso).getTime() + 8 * 3600 * 1000);
    return (
      d.getUTCFullYear() +
      '-' +
      pad(d.getUTCMonth() + 1) +
      '-' +
      pad(d.getUTCDate()) +
      ' ' +
      pad(d.getUTCHours()) +
      ':' +
      pad(d.getUTCMinutes())
    );
  }

  // The order's own JSON, as this page's reader (their language, their session) asks for it.
  function readJson(url) {
    return fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } }).then(
      function (res) {
        return res.ok ? res.json() : null;
      },
    );
  }

  // The timeline's words are the reader's: re-read the order, its entries rendered by the server
  // in this page's language.
  function refreshTimeline() {
    var list = article.querySelector('[data-testid="timeline"]');
    if (!list || typeof fetch !== 'function') return;
    readJson('/api/orders/' + encodeURIComponent(orderNo))
      .then(function (order) {
        if (!order) return;
        list.textContent = '';
        order.timeline.forEach(function (entry) {
          var li = document.createElement('li');
          var time = document.createElement('time');
          time.textContent = chinaTime(entry.at);
          var strong = document.createElement('strong');
          strong.textContent = labels[entry.to] || entry.to;
          var small = document.createElement('small');
          small.className = 'muted';
          small.textContent = entry.text;
          li.append(time, ' ', strong, ' ', small);
          list.appendChild(li);
        });
      })
      .catch(function () {});
  }

  // Tracking comes from the parcel, not the order: re-read it whenever the order changes.
  function refreshTracking() {
    var section = article.querySelector('[data-testid="tracking"]');
    if (!section || typeof fetch !== 'function') return;
    readJson('/api/orders/' + encodeURIComponent(orderNo) + '/tracking')
      .then(function (reply) {
        var tracking = reply && reply.tracking;
        if (!tracking) return;
        section.querySelector('[data-testid="tracking-courier"]').textContent =
          tracking.courierName;
        section.querySelector('[data-testid="tracking-waybill"]').textContent = tracking.waybillNo;
        section.querySelector('[data-testid="tracking-none"]').hidden = tracking.events.length > 0;
        var list = section.querySelector('[data-testid="tracking-events"]');
        list.textContent = '';
        tracking.events.forEach(function (event) {
          var li = document.createElement('li');
          var time = document.createElement('time');
          time.textContent = chinaTime(event.at);
          var strong = document.createElement('strong');
          strong.textContent = event.label;
          var small = document.createElement('small');
          small.className = 'muted';
          small.textContent = event.note;
          li.append(time, ' ', strong, ' ', event.location, ' ', small);
          list.appendChild(li);
        });
        section.hidden = false;
      })
      .catch(function () {
        // A weak network: the next change (or a reload) shows it.
      });
  }

  socket.on('connect', function () {
    if (hint) hint.hidden = false;
  });
  socket.on('disconnect', function () {
    if (hint) hint.hidden = true;
  });
  socket.on('order:changed', function (order) {
    if (!order || order.orderNo !== orderNo) return;
    var status = article.querySelector('[data-testid="order-status"]');
    status.textContent = labels[order.status] || order.status;
    status.className = 'status status-' + order.status;
    refreshTimeline();
    // Paying is only for unpaid orders; cancelling only until the hub starts picking.
    if (order.status !== 'pending_payment') {
      article.querySelectorAll('.pay-actions').forEach(function (el) {
        el.remove();
      });
    }
    if (['pending_payment', 'paid', 'routed'].indexOf(order.status) < 0) {
      article.querySelectorAll('form[action$="/cancel"]').forEach(function (f) {
        f.remove();
      });
    }
    refreshTracking();
  });
})();
