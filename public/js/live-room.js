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
  // Times are China time whatever zone the phone is set to, as on every page of the site.
  var chinaTime = function (ms) {
    return new Date(ms).toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
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
    renderCoupons();
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
  // and the pay button appears once it is saved. A buyer with a book may send a won order to
  // another of their addresses (`changing`).
  function askAddress(d, note, changing) {
    var sheet = $('address-sheet');
    $('address-title').textContent = changing ? labels.changeAddressTitle : labels.addressTitle;
    if (!changing)
      say(
        (note ? note + ' ' : '') +
          fill(labels.wonNeedsAddress, {
            time: chinaTime(d.payBy),
            total: yuan(d.totalFen),
          }),
        'ok',
      );
    sheet.hidden = false;
    (changing ? sheet : $('answer')).scrollIntoView({ block: 'start' });
    sheet.querySelector('[name=recipient]').focus({ preventScroll: true });
    sheet.onsubmit = function (event) {
      event.preventDefault();
      var address = {};
      // Text fields, and the province/city/county lists the address picker made of them; the
      // book's radio buttons only fill those fields.
      Array.prototype.forEach.call(
        sheet.querySelectorAll('input[name], select[name]'),
        function (input) {
          if (input.name !== 'saved_address') address[input.name] = input.value;
        },
      );
      $('address-error').textContent = '';
      post('/api/orders/' + encodeURIComponent(d.orderNo) + '/address', { address: address })
        .then(function (body) {
          sheet.hidden = true;
          d.needsAddress = false;
          d.shipTo = body.shipTo;
          answerBuy({ ok: true, data: d }, changing ? labels.addressChanged : note);
        })
        .catch(function (error) {
          $('address-error').textContent = problems(error);
        });
    };
  }

  // JSON to the server with the page's CSRF token; rejects with the server's `error` object.
  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf() },
      body: JSON.stringify(body),
    }).then(function (res) {
      return res.json().then(
        function (answer) {
          if (!res.ok) throw answer.error || {};
          return answer;
        },
        function () {
          throw {};
        },
      );
    });
  }
  function problems(error) {
    var fields = (error && error.fields) || [];
    return fields.length
      ? fields
          .map(function (f) {
            return f.message;
          })
          .join(' ')
      : (error && error.message) || labels.tryAgain;
  }
  function csrf() {
    return root.querySelector('input[name=_csrf]').value;
  }

  // Someone not signed in taps 立即抢 or comments: the sheet asks for a number and a password
  // (or signs them in), the socket reconnects as them, and what they tapped goes on.
  var afterJoin = null;
  function askToSignIn(then) {
    var sheet = $('auth-sheet');
    if (!sheet) return;
    sheet.hidden = false;
    sheet.scrollIntoView({ block: 'start' });
    sheet.querySelector('[name=login]').focus({ preventScroll: true });
    sheet.onsubmit = function (event) {
      event.preventDefault();
      var up = sheet.getAttribute('data-mode') === 'up';
      var body = {
        login: sheet.querySelector('[name=login]').value.trim(),
        password: sheet.querySelector('[name=password]').value,
      };
      if (up) body.displayName = sheet.querySelector('[name=displayName]').value.trim();
      Array.prototype.forEach.call(sheet.querySelectorAll('.field-error'), function (el) {
        el.textContent = '';
      });
      post(up ? '/api/signup' : '/api/session', body)
        .then(function (answer) {
          root.querySelector('input[name=_csrf]').value = answer.csrfToken;
          signedIn = true;
          sheet.hidden = true;
          Array.prototype.forEach.call(
            document.querySelectorAll('header a[href^="/signin"]'),
            function (a) {
              a.hidden = true;
            },
          );
          // The address sheet, if it comes next, starts from what was just typed.
          var address = $('address-sheet');
          if (!address.querySelector('[name=recipient]').value)
            address.querySelector('[name=recipient]').value = answer.actor.displayName || '';
          if (/^1\d{10}$/.test(body.login) && !address.querySelector('[name=phone]').value)
            address.querySelector('[name=phone]').value = body.login;
          say(labels.auth.signedIn);
          // The socket was opened as a visitor: open it again, now carrying the session.
          afterJoin = then;
          socket.disconnect();
          socket.connect();
        })
        .catch(function (error) {
          var left = [];
          ((error && error.fields) || []).forEach(function (f) {
            var el = sheet.querySelector('[data-field="' + f.field + '"]');
            if (el) el.textContent = f.message;
            else left.push(f.message);
          });
          $('auth-error').textContent =
            left.join(' ') || (error && error.fields && error.fields.length ? '' : problems(error));
        });
    };
  }
  var authSwitch = $('auth-switch');
  if (authSwitch)
    authSwitch.addEventListener('click', function () {
      var sheet = $('auth-sheet');
      var up = sheet.getAttribute('data-mode') !== 'up';
      sheet.setAttribute('data-mode', up ? 'up' : 'in');
      $('auth-title').textContent = up ? labels.auth.upTitle : labels.auth.inTitle;
      $('auth-submit').textContent = up ? labels.auth.upSubmit : labels.auth.inSubmit;
      $('auth-other-q').textContent = up ? labels.auth.haveAccount : labels.auth.noAccount;
      authSwitch.textContent = up ? labels.auth.signIn : labels.auth.signUp;
      $('name-field').hidden = !up;
      $('password-hint').hidden = !up;
      sheet
        .querySelector('[name=password]')
        .setAttribute('autocomplete', up ? 'new-password' : 'current-password');
    });

  // `note` says how a comment's weight became packs (要3斤 = 6 件 × 250g), before the answer.
  function answerBuy(ack, note) {
    // A rehearsal's order: nothing to pay, nothing sent.
    if (ack.ok && ack.data.rehearsal)
      return say(fill(labels.rehearsalOrder, { orderNo: ack.data.orderNo }), 'ok');
    if (ack.ok && ack.data.needsAddress) return askAddress(ack.data, note);
    if (ack.ok) {
      var d = ack.data;
      var wrap = document.createElement('span');
      wrap.appendChild(
        document.createTextNode(
          (note ? note + ' ' : '') +
            fill(labels.won, {
              time: chinaTime(d.payBy),
              total: yuan(d.totalFen),
            }) +
            ' ',
        ),
      );
      if (d.shipTo) {
        var to = document.createElement('small');
        to.className = 'ship-to';
        to.setAttribute('data-testid', 'live-ship-to');
        to.textContent = fill(labels.shipTo, d.shipTo) + ' ';
        var change = document.createElement('button');
        change.type = 'button';
        change.className = 'linkish';
        change.setAttribute('data-testid', 'live-change-address');
        change.textContent = labels.changeAddress;
        change.addEventListener('click', function () {
          askAddress(d, null, true);
        });
        to.appendChild(change);
        wrap.appendChild(to);
      }
      var a = document.createElement('a');
      a.className = 'button';
      a.href = '/orders/' + d.orderNo + '/pay';
      a.textContent = labels.payNow;
      a.setAttribute('data-testid', 'live-pay');
      wrap.appendChild(a);
      say(wrap, 'ok');
    } else if (ack.code === 'errors.signInToBuy' || ack.code === 'errors.signInToChat') {
      // Signed out meanwhile (in another tab, or the session ran out): sign in, then go on.
      signedIn = false;
      say(ack.message, 'error');
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
  // Lucky bags (live-giveaways.js): entered with a tap, or by sending the keyword as a comment.
  var giveaways = window.CunboGiveaways.mount({
    box: $('giveaways'),
    socket: socket,
    sessionId: sessionId,
    labels: labels.giveaways,
    serverNow: function () {
      return Date.now() + skew;
    },
    say: say,
    enter: function (g) {
      if (!signedIn) return askToSignIn(enterGiveaway.bind(null, g));
      enterGiveaway(g);
    },
    sendKeyword: function (keyword) {
      chatForm.querySelector('input').value = keyword;
      if (!signedIn) return askToSignIn(sendChat);
      sendChat();
    },
  });
  function enterGiveaway(g) {
    socket.emit(
      'live:giveaway-enter',
      { sessionId: sessionId, giveawayId: g.giveawayId },
      function (ack) {
        if (ack && ack.ok) {
          giveaways.entered(g.giveawayId, ack.data.token);
          say(labels.giveaways.enteredNote, 'ok');
        } else say((ack && ack.message) || labels.tryAgain, 'error');
      },
    );
  }
  socket.on('live:rehearsal-ended', function () {
    state.status = 'ended';
    render();
    say(labels.rehearsalEnded, 'error');
  });
  socket.on('connect', function () {
    socket.emit('live:join', { sessionId: sessionId }, function (ack) {
      if (!ack || !ack.ok) return;
      state = ack.data;
      skew = state.serverNow - Date.now();
      render();
      giveaways.set(state.giveaways || []);
      sendBuy();
      var then = afterJoin;
      afterJoin = null;
      if (then) then();
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
    // The streamer pinned another product (or unpinned), or ended the session: the card and
    // the ended room's offers are server-rendered, so reload.
    if (((pinned() || {}).offerId || null) !== renderedPin) location.reload();
    if (state.status === 'ended' && !root.classList.contains('is-ended')) location.reload();
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

  function buy() {
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
      post('/api/live/' + sessionId + '/buy', request)
        .then(function (data) {
          pending = null;
          answerBuy({ ok: true, data: data });
        })
        .catch(function (error) {
          pending = null;
          answerBuy({ ok: false, code: error.code, message: problems(error) });
        });
    }
  }
  $('buy-form').addEventListener('submit', function (event) {
    event.preventDefault();
    if (!signedIn) return askToSignIn(buy);
    buy();
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
  function sendChat() {
    var input = chatForm.querySelector('input');
    var text = input.value.trim();
    if (!text) return;
    socket.emit('live:chat', { sessionId: sessionId, text: text }, function (ack) {
      if (!ack.ok) return answerBuy(ack);
      input.value = '';
      if (ack.data.enteredGiveaway) {
        giveaways.entered(ack.data.enteredGiveaway.giveawayId, ack.data.enteredGiveaway.token);
        say(labels.giveaways.enteredByComment, 'ok');
      } else if (ack.data.order) answerBuy({ ok: true, data: ack.data.order }, ack.data.note);
      else if (ack.data.orderError) say(ack.data.orderError.message, 'error');
      else if (ack.data.note) say(ack.data.note, 'error');
    });
  }
  chatForm.addEventListener('submit', function (event) {
    event.preventDefault();
    if (!chatForm.querySelector('input').value.trim()) return;
    if (!signedIn) return askToSignIn(sendChat);
    sendChat();
  });
  // Live coupons: what the streamer dropped, what is left of each, and the ones this buyer holds.
  var couponLabel = function (c) {
    var p = c.label.params;
    return fill(labels.coupons[c.label.code.split('.')[1]], {
      off: yuan(p.offFen || 0),
      min: yuan(p.minFen || 0),
      cap: yuan(p.capFen || 0),
      percent: p.percent,
    });
  };
  function renderCoupons() {
    var box = $('coupons');
    var coupons = state.coupons || [];
    box.hidden = coupons.length === 0;
    box.textContent = '';
    coupons.forEach(function (c) {
      var card = document.createElement('div');
      card.className = 'coupon' + (c.mine ? ' is-on' : '');
      card.setAttribute('data-coupon', c.couponId);
      var text = document.createElement('strong');
      text.textContent = couponLabel(c);
      var left = document.createElement('small');
      left.className = 'muted';
      left.textContent = fill(labels.coupons.left, { count: c.remaining });
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'button small';
      button.setAttribute('data-testid', 'coupon-claim');
      button.textContent = c.mine
        ? labels.coupons[c.mine]
        : c.remaining > 0
          ? labels.coupons.claim
          : labels.coupons.gone;
      button.disabled = !!c.mine || c.remaining <= 0 || state.status !== 'live';
      button.addEventListener('click', function () {
        if (!signedIn) return askToSignIn(claim.bind(null, c));
        claim(c);
      });
      card.append(text, ' ', left, ' ', button);
      box.appendChild(card);
    });
  }
  function claim(c) {
    socket.emit(
      'live:coupon-claim',
      { sessionId: sessionId, couponId: c.couponId },
      function (ack) {
        if (ack && ack.ok) {
          c.mine = 'claimed';
          say(fill(labels.coupons.claimedNote, { label: couponLabel(c) }), 'ok');
        } else say((ack && ack.message) || labels.tryAgain, 'error');
        renderCoupons();
      },
    );
  }
  socket.on('live:coupons', function (update) {
    var mine = {};
    (state.coupons || []).forEach(function (c) {
      if (c.mine) mine[c.couponId] = c.mine;
    });
    state.coupons = update.coupons.map(function (c) {
      if (mine[c.couponId]) c.mine = mine[c.couponId];
      return c;
    });
    renderCoupons();
  });
  render();
  setInterval(tick, 250);
})();
