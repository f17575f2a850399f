/* global io */
// The buyer's live room: joins the room over socket.io (rejoining and resyncing after every
// reconnect), buys with one tap, chats, and follows the remaining count and the countdown.
// A buy carries a key made once per tap; if the answer is lost it is sent again with the same
// key, so a weak network never makes two orders.
(function () {
  var root = document.getElementById('live-room');
  if (!root || typeof io !== 'function') return;
  var labels = JSON.parse(document.getElementById('live-labels').textContent);
  var sessionId = root.getAttribute('data-session');
  var signedIn = root.getAttribute('data-signed-in') === '1';
  var state = JSON.parse(root.getAttribute('data-state'));
  var skew = state.serverNow - Date.now();
  var renderedPin = (state.pinned && state.pinned.offerId) || null;
  var holdUntil = 0; // server time until which a waitlist unit is held for this buyer
  var pending = null;
  var $ = function (role) {
    return root.querySelector('[data-role="' + role + '"]');
  };
  var fill = function (text, params) {
    return String(text).replace(/\{\{(\w+)\}\}/g, function (_, k) {
      return params && params[k] != null ? params[k] : '';
    });
  };
  var yuan = function (fen) {
    return '¥' + (fen / 100).toFixed(2);
  };
  var say = function (text, kind) {
    var el = $('answer');
    el.textContent = '';
    el.className = 'live-answer ' + (kind || '');
    if (typeof text === 'string') el.textContent = text;
    else el.appendChild(text);
  };
  var pinned = function () {
    return (
      state.offers.filter(function (o) {
        return o.pinned;
      })[0] || null
    );
  };
  var key = function () {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ('0' + b.toString(16)).slice(-2);
      })
      .join('');
  };

  function render() {
    var p = pinned();
    var remaining = $('remaining');
    if (p && remaining) remaining.textContent = p.remaining;
    // A unit held for this buyer (from the waitlist) can be bought although the offer shows 0.
    var held = holdUntil > Date.now() + skew;
    var soldOut = p && p.remaining <= 0 && !held;
    $('buy').disabled = !p || !p.open || state.status !== 'live' || soldOut;
    $('buy').textContent = soldOut ? labels.soldOutShort : labels.buy;
    $('waitlist').hidden = !(p && soldOut && state.status === 'live');
    $('viewers').textContent = state.viewers;
    $('status').textContent = labels.status[state.status] || state.status;
  }

  function tick() {
    var p = pinned();
    var el = $('countdown');
    if (!el) return;
    if (p && p.closesAt) {
      var left = Math.max(0, Math.ceil((p.closesAt - (Date.now() + skew)) / 1000));
      el.textContent = left > 0 ? fill(labels.countdown, { seconds: left }) : labels.flashOver;
      if (left === 0 && p.open) {
        p.open = false;
        render();
      }
    } else el.textContent = '';
  }

  // A first-time buyer's units are held by their order; the address is asked for right here,
  // and the pay button appears once it is saved.
  function askAddress(d, note) {
    var sheet = $('address-sheet');
    say(
      (note ? note + ' ' : '') +
        fill(labels.wonNeedsAddress, {
          time: new Date(d.payBy).toLocaleTimeString(),
          total: yuan(d.totalFen),
        }),
      'ok',
    );
    sheet.hidden = false;
    $('answer').scrollIntoView({ block: 'start' });
    sheet.querySelector('input[name=recipient]').focus({ preventScroll: true });
    sheet.onsubmit = function (event) {
      event.preventDefault();
      var address = {};
      // Text fields, and the province/city/county lists the address picker made of them.
      Array.prototype.forEach.call(
        sheet.querySelectorAll('input[name], select[name]'),
        function (input) {
          address[input.name] = input.value;
        },
      );
      $('address-error').textContent = '';
      fetch('/api/orders/' + encodeURIComponent(d.orderNo) + '/address', {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          'content-type': 'application/json',
          'x-csrf-token': root.querySelector('input[name=_csrf]').value,
        },
        body: JSON.stringify({ address: address }),
      })
        .then(function (res) {
          return res.json().then(function (body) {
            if (!res.ok) throw body.error || {};
            sheet.hidden = true;
            d.needsAddress = false;
            answerBuy({ ok: true, data: d });
          });
        })
        .catch(function (error) {
          var fields = (error && error.fields) || [];
          $('address-error').textContent = fields.length
            ? fields
                .map(function (f) {
                  return f.message;
                })
                .join(' ')
            : (error && error.message) || '';
        });
    };
  }

  // `note` says how a comment's weight became packs (要3斤 = 6 件 × 250g), before the answer.
  function answerBuy(ack, note) {
    if (ack.ok && ack.data.needsAddress) return askAddress(ack.data, note);
    if (ack.ok) {
      var d = ack.data;
      var wrap = document.createElement('span');
      wrap.appendChild(
        document.createTextNode(
          (note ? note + ' ' : '') +
            fill(labels.won, {
              time: new Date(d.payBy).toLocaleTimeString(),
              total: yuan(d.totalFen),
            }) +
            ' ',
        ),
      );
      var a = document.createElement('a');
      a.className = 'button';
      a.href = '/orders/' + d.orderNo + '/pay';
      a.textContent = labels.payNow;
      a.setAttribute('data-testid', 'live-pay');
      wrap.appendChild(a);
      say(wrap, 'ok');
    } else say(ack.message, ack.code === 'errors.soldOut' ? 'out' : 'error');
  }

  function sendBuy() {
    if (!pending) return;
    var request = pending;
    if (!socket.connected) return; // resent on reconnect, with the same key
    // A resend says so: if Redis lost the key meanwhile, the server looks the order up.
    var message = {
      sessionId: request.sessionId,
      offerId: request.offerId,
      quantity: request.quantity,
      clientKey: request.clientKey,
    };
    if (request.sent) message.resend = true;
    request.sent = true;
    socket.timeout(8000).emit('live:buy', message, function (err, ack) {
      if (err) return; // no answer: keep it pending; the reconnect sends it again
      if (pending === request) pending = null;
      answerBuy(ack);
    });
  }

  var socket = io({ transports: ['websocket', 'polling'] });
  socket.on('connect', function () {
    socket.emit('live:join', { sessionId: sessionId }, function (ack) {
      if (!ack || !ack.ok) return;
      state = ack.data;
      skew = state.serverNow - Date.now();
      render();
      sendBuy();
    });
  });
  socket.on('live:state', function (update) {
    state.status = update.status;
    state.viewers = update.viewers;
    update.offers.forEach(function (o) {
      state.offers.forEach(function (mine) {
        if (mine.offerId === o.offerId) {
          mine.remaining = o.remaining;
          mine.sold = o.sold;
          mine.open = o.open;
          mine.closesAt = o.closesAt;
          mine.pinned = o.pinned;
        }
      });
    });
    skew = update.serverNow - Date.now();
    var feed = $('feed');
    (update.feed || []).forEach(function (item) {
      var line = document.createElement('div');
      line.textContent = fill(labels.bought, { name: item.name, quantity: item.quantity });
      feed.insertBefore(line, feed.firstChild);
      while (feed.childNodes.length > 5) feed.removeChild(feed.lastChild);
    });
    // The streamer pinned another product (or unpinned): the card is server-rendered, so reload.
    if (((pinned() || {}).offerId || null) !== renderedPin) location.reload();
    render();
  });
  socket.on('live:chat', function (m) {
    var li = document.createElement('li');
    li.setAttribute('data-message', m.id);
    li.className = 'chat-' + m.kind;
    var b = document.createElement('b');
    b.textContent = m.name;
    li.append(b, ' ', m.text);
    var list = $('chat');
    list.appendChild(li);
    while (list.childNodes.length > 50) list.removeChild(list.firstChild);
    list.scrollTop = list.scrollHeight;
  });
  socket.on('live:chat-deleted', function (d) {
    var li = root.querySelector('[data-message="' + d.messageId + '"]');
    if (li) li.remove();
  });
  socket.on('live:waitlist-offer', function (d) {
    holdUntil = d.until;
    render();
    setTimeout(render, Math.max(0, d.until - Date.now() - skew) + 100);
    say(
      fill(labels.yourTurn, {
        count: d.quantity,
        seconds: Math.round((d.until - Date.now() - skew) / 1000),
      }),
      'ok',
    );
  });

  $('buy-form').addEventListener('submit', function (event) {
    event.preventDefault();
    if (!signedIn) {
      location.href = '/signin?returnTo=' + encodeURIComponent(location.pathname);
      return;
    }
    var p = pinned();
    if (!p) return;
    pending = {
      sessionId: sessionId,
      offerId: p.offerId,
      quantity: Number($('quantity').value),
      clientKey: key(),
    };
    say(labels.sending);
    if (socket.connected) sendBuy();
    else {
      // No socket at all (blocked network): the same buy over HTTP, same key.
      var request = pending;
      fetch('/api/live/' + sessionId + '/buy', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-csrf-token': root.querySelector('input[name=_csrf]').value,
        },
        body: JSON.stringify(request),
      })
        .then(function (res) {
          return res.json().then(function (body) {
            return { ok: res.ok, body: body };
          });
        })
        .then(function (r) {
          pending = null;
          answerBuy(
            r.ok
              ? { ok: true, data: r.body }
              : { ok: false, code: r.body.error.code, message: r.body.error.message },
          );
        });
    }
  });
  $('waitlist').addEventListener('click', function () {
    var p = pinned();
    socket.emit('live:waitlist', { sessionId: sessionId, offerId: p.offerId }, function (ack) {
      say(
        ack.ok ? fill(labels.waitlisted, { position: ack.data.position }) : ack.message,
        ack.ok ? 'ok' : 'error',
      );
    });
  });
  var chatForm = $('chat-form');
  if (chatForm)
    chatForm.addEventListener('submit', function (event) {
      event.preventDefault();
      var input = chatForm.querySelector('input');
      var text = input.value.trim();
      if (!text) return;
      socket.emit('live:chat', { sessionId: sessionId, text: text }, function (ack) {
        if (!ack.ok) return say(ack.message, 'error');
        input.value = '';
        if (ack.data.order) answerBuy({ ok: true, data: ack.data.order }, ack.data.note);
        else if (ack.data.orderError) say(ack.data.orderError.message, 'error');
        else if (ack.data.note) say(ack.data.note, 'error');
      });
    });
  render();
  setInterval(tick, 250);
})();
