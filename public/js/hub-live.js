/* global io */
// Hub tablets. A barcode scanner types the code and presses Enter: each scan is posted at once
// and answered in large type with a tone (high for right, low for wrong), and the input is
// cleared for the next item. The overview follows the hub live over socket.io.
(function () {
  var root = document.getElementById('hub-screen');
  if (!root) return;
  var csrf = document.querySelector('input[name=_csrf]');
  var audio = window.AudioContext ? new window.AudioContext() : null;
  var tone = function (ok) {
    if (!audio) return;
    var osc = audio.createOscillator();
    osc.frequency.value = ok ? 1200 : 220;
    osc.connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + (ok ? 0.08 : 0.4));
  };

  var labelsEl = document.getElementById('hub-labels');
  var labels = labelsEl ? JSON.parse(labelsEl.textContent) : { scanFailed: '' };

  // Counts change in place, so the next scan is never lost to a page reload.
  var showProgress = function (barcode, body) {
    var progress = root.querySelector('[data-testid="pick-progress"]');
    if (progress && body.picked) {
      var parts = progress.textContent.split('/');
      progress.textContent = Number(parts[0]) + 1 + '/' + parts[1];
    }
    var row = root.querySelector('tr[data-barcode="' + barcode + '"] [data-role="packed"]');
    if (row && body.packed) row.textContent = body.packed + '/' + body.quantity;
  };

  Array.prototype.forEach.call(root.querySelectorAll('form[data-scan]'), function (form) {
    var input = form.querySelector('input[name=barcode]');
    var answer = root.querySelector('[data-role="answer"]');
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var barcode = input.value.trim();
      input.value = '';
      input.focus();
      if (!barcode) return;
      fetch(form.getAttribute('data-scan'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf ? csrf.value : '' },
        body: JSON.stringify({ barcode: barcode }),
      })
        .then(function (res) {
          return res.json().then(function (body) {
            return { ok: res.ok, body: body };
          });
        })
        .then(function (r) {
          tone(r.ok);
          answer.className = 'scan-answer ' + (r.ok ? 'ok' : 'error');
          answer.textContent = r.ok
            ? '✓ ' + r.body.title + ' ' + (r.body.picked || r.body.packed) + '/' + r.body.quantity
            : '✗ ' + barcode + ' · ' + r.body.error.message;
          if (r.ok) showProgress(barcode, r.body);
        })
        .catch(function () {
          // No answer (network, server): the scan did not count; say so plainly.
          tone(false);
          answer.className = 'scan-answer error';
          answer.textContent = '✗ ' + barcode + ' · ' + labels.scanFailed;
        });
    });
  });

  // The overview reloads when anything in the hub changes (coalesced; never while typing).
  if (typeof io !== 'function' || root.getAttribute('data-live-reload') === '0') return;
  var socket = io({ transports: ['websocket', 'polling'] });
  var pending = null;
  // A form sent from this page (start a wave, hand over) is already taking the person somewhere:
  // a reload now would cancel that navigation and drop them back on the overview.
  var leaving = false;
  // (Scans are sent by script, their submit prevented: those stay on the page.)
  document.addEventListener('submit', function (event) {
    if (!event.defaultPrevented) leaving = true;
  });
  window.addEventListener('pagehide', function () {
    leaving = true;
  });
  socket.on('hub:changed', function () {
    if (pending || leaving) return;
    pending = setTimeout(function () {
      var active = document.activeElement;
      if (active && active.form && active.form.classList.contains('receive-form')) {
        pending = null;
        return;
      }
      if (!leaving) location.reload();
    }, 1000);
  });
})();
