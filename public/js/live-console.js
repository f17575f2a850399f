/* global io */
// The streamer's console (a tablet beside the phone that streams): every control is a socket
// event with an acknowledgement; the numbers refresh every second.
(function () {
  var root = document.getElementById('live-console');
  if (!root || typeof io !== 'function') return;
  var sessionId = root.getAttribute('data-session');
  var labels = JSON.parse(document.getElementById('console-labels').textContent);
  var closing = {}; // offerId -> server time its flash window closes
  var skew = Number(root.getAttribute('data-server-now')) - Date.now() || 0;
  var socket = io({ transports: ['websocket', 'polling'] });
  var answer = root.querySelector('[data-role="answer"]');
  // A refusal reads its message and, for a form, what is wrong with each field.
  var show = function (ack) {
    var fields = (ack && ack.fields) || [];
    answer.textContent =
      ack && !ack.ok
        ? [ack.message]
            .concat(
              fields.map(function (f) {
                return f.message;
              }),
            )
            .join(' ')
        : '';
    answer.className = 'live-answer ' + (ack && !ack.ok ? 'error' : '');
  };
  var yuan = function (fen) {
    return '¥' + (fen / 100).toFixed(2);
  };

  // Lucky bags (live-giveaways.js): the cards with their count, countdown and 立即开奖.
  var giveaways = window.CunboGiveaways.mount({
    box: root.querySelector('[data-role="giveaways"]'),
    socket: socket,
    sessionId: sessionId,
    labels: labels.giveaways,
    steer: true,
    serverNow: function () {
      return Date.now() + skew;
    },
    say: function (text, kind) {
      answer.textContent = text;
      answer.className = 'live-answer ' + (kind || '');
    },
  });
  socket.on('connect', function () {
    socket.emit('live:join', { sessionId: sessionId }, function (ack) {
      if (!ack || !ack.ok) return;
      showCoupons(ack.data.coupons || []);
      giveaways.set(ack.data.giveaways || []);
    });
  });
  // An ended session: its recording becomes the shoppable replay.
  var recordingForm = root.querySelector('[data-role="recording"]');
  if (recordingForm)
    recordingForm.addEventListener('submit', function (event) {
      event.preventDefault();
      var url = recordingForm.querySelector('[name="url"]').value.trim();
      socket.emit('live:recording', { sessionId: sessionId, url: url }, function (ack) {
        show(ack);
        if (!ack.ok) return;
        answer.textContent = labels.recordingSaved;
        answer.className = 'live-answer ok';
        recordingForm.querySelector('[data-role="replay-link"]').hidden = !ack.data.replayUrl;
      });
    });
  // A rehearsal: the simulated crowd's settings, and back to the real console when it ends.
  var crowdForm = root.querySelector('[data-role="crowd"]');
  if (crowdForm)
    crowdForm.addEventListener('submit', function (event) {
      event.preventDefault();
      var payload = { sessionId: sessionId };
      ['viewers', 'commentsPerMinute', 'kouShare', 'buysPerMinute'].forEach(function (name) {
        payload[name] = crowdForm.querySelector('[name="' + name + '"]').value.trim();
      });
      socket.emit('live:crowd', payload, function (ack) {
        show(ack);
        if (!ack.ok) return;
        answer.textContent = labels.crowdStarted.replace('{{viewers}}', ack.data.viewers);
        answer.className = 'live-answer ok';
      });
    });
  socket.on('live:rehearsal-ended', function (ended) {
    location.assign('/studio/live/' + ended.sessionId);
  });
  var startForm = root.querySelector('[data-role="giveaway-start"]');
  if (startForm) {
    startForm.addEventListener('change', function (event) {
      var name = event.target.name;
      if (name !== 'prize' && name !== 'entry') return;
      Array.prototype.forEach.call(
        startForm.querySelectorAll('[data-' + name + ']'),
        function (el) {
          el.hidden = el.getAttribute('data-' + name) !== event.target.value;
        },
      );
    });
    startForm.addEventListener('submit', function (event) {
      event.preventDefault();
      var value = function (name) {
        var field =
          startForm.querySelector('[name="' + name + '"]:checked') ||
          startForm.querySelector('[name="' + name + '"]');
        return field.value.trim();
      };
      var payload = {
        sessionId: sessionId,
        prize: value('prize'),
        winners: value('winners'),
        entry: value('entry'),
        duration_s: value('duration_s'),
      };
      if (payload.prize === 'sku') payload.offerId = value('offerId');
      else {
        payload.off_yuan = value('off_yuan');
        payload.min_yuan = value('min_yuan');
      }
      if (payload.entry === 'keyword') payload.keyword = value('keyword');
      socket.emit('live:giveaway-start', payload, function (ack) {
        show(ack);
        if (!ack.ok) return;
        answer.textContent = labels.giveaways.started.replace(
          '{{time}}',
          window.CunboGiveaways.clock(Number(payload.duration_s) * 1000),
        );
        answer.className = 'live-answer ok';
      });
    });
  }
  socket.on('live:chat', function (m) {
    var li = document.createElement('li');
    li.setAttribute('data-message', m.id);
    li.setAttribute('data-user', m.userId);
    var b = document.createElement('b');
    b.textContent = m.name;
    li.append(b, ' ', m.text, ' ');
    ['live:delete-message', 'live:mute'].forEach(function (action, i) {
      var btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'small linkish';
      btn.setAttribute('data-action', action);
      btn.textContent = i === 0 ? labels.delete : labels.mute;
      li.append(btn, ' ');
    });
    root.querySelector('[data-role="chat"]').appendChild(li);
  });
  socket.on('live:chat-deleted', function (d) {
    var li = root.querySelector('[data-message="' + d.messageId + '"]');
    if (li) li.remove();
  });
  socket.on('live:state', function (s) {
    root.querySelector('[data-role="status"]').textContent = labels.status[s.status] || s.status;
    if (s.serverNow) skew = s.serverNow - Date.now();
    if (s.status !== 'scheduled' && startsIn) {
      startsIn.remove();
      startsIn = null;
    }
  });

  root.addEventListener('click', function (event) {
    var button = event.target.closest('[data-action]');
    if (!button) return;
    var action = button.getAttribute('data-action');
    var row = button.closest('[data-offer]');
    var msg = button.closest('[data-message]');
    var payload = { sessionId: sessionId };
    if (row) payload.offerId = row.getAttribute('data-offer');
    if (action === 'live:allotment')
      payload.allotment = Number(row.querySelector('[data-allotment]').value);
    if (action === 'live:flash')
      payload.durationS = Number(row.querySelector('[data-flash]').value);
    if (action === 'live:delete-message') payload.messageId = msg.getAttribute('data-message');
    if (action === 'live:mute') payload.userId = msg.getAttribute('data-user');
    button.disabled = true;
    socket.emit(action, payload, function (ack) {
      button.disabled = false;
      show(ack);
      // Opening a rehearsal goes to its console; ending one comes back to the real session's.
      var data = (ack.ok && ack.data) || {};
      if (data.rehearsalId) return location.assign('/studio/live/' + data.rehearsalId);
      if (data.discarded) return location.assign('/studio/live/' + data.sessionId);
      if (
        ack.ok &&
        (action === 'live:pin' ||
          action === 'live:unpin' ||
          action === 'live:flash' ||
          action === 'live:flash-close' ||
          action === 'live:go-live' ||
          action === 'live:end')
      )
        location.reload();
    });
  });
  root.querySelector('[data-role="announce"]').addEventListener('submit', function (event) {
    event.preventDefault();
    var input = event.target.querySelector('input');
    socket.emit('live:announce', { sessionId: sessionId, text: input.value }, function (ack) {
      show(ack);
      if (ack.ok) input.value = '';
    });
  });

  // Live coupons: the drop form, and what is left of each coupon dropped in this session.
  var dropForm = root.querySelector('[data-role="coupon-drop"]');
  var couponText = function (c) {
    var p = c.label.params;
    return labels.coupons[c.label.code.split('.')[1]]
      .replace('{{off}}', yuan(p.offFen || 0))
      .replace('{{min}}', yuan(p.minFen || 0))
      .replace('{{cap}}', yuan(p.capFen || 0))
      .replace('{{percent}}', p.percent);
  };
  var showCoupons = function (coupons) {
    var list = dropForm && dropForm.querySelector('[data-role="console-coupons"]');
    if (!list) return;
    list.textContent = '';
    coupons.forEach(function (c) {
      var li = document.createElement('li');
      li.textContent =
        couponText(c) +
        ' · ' +
        labels.coupons.left.replace('{{count}}', c.remaining) +
        '/' +
        c.total;
      list.appendChild(li);
    });
  };
  socket.on('live:coupons', function (update) {
    showCoupons(update.coupons);
  });
  if (dropForm) {
    dropForm.addEventListener('change', function (event) {
      if (event.target.name !== 'kind') return;
      Array.prototype.forEach.call(dropForm.querySelectorAll('[data-kind]'), function (el) {
        el.hidden = el.getAttribute('data-kind') !== event.target.value;
      });
    });
    dropForm.addEventListener('submit', function (event) {
      event.preventDefault();
      var kind = dropForm.querySelector('[name="kind"]:checked').value;
      var value = function (name) {
        return dropForm.querySelector('[name="' + name + '"]').value.trim();
      };
      var payload = {
        sessionId: sessionId,
        kind: kind,
        min_yuan: value('min_yuan'),
        total: value('total'),
        hours_after: value('hours_after'),
      };
      if (kind === 'amount') payload.off_yuan = value('off_yuan');
      else {
        payload.percent = value('percent');
        payload.cap_yuan = value('cap_yuan');
      }
      socket.emit('live:coupon-drop', payload, function (ack) {
        show(ack);
        if (ack.ok) {
          answer.textContent = labels.coupons.dropped
            .replace('{{count}}', ack.data.total)
            .replace('{{label}}', couponText(ack.data));
          answer.className = 'live-answer ok';
        }
      });
    });
  }

  setInterval(function () {
    if (!socket.connected) return;
    socket.emit('live:dashboard', { sessionId: sessionId }, function (ack) {
      if (!ack.ok) return;
      var d = ack.data;
      skew = d.serverNow - Date.now();
      var set = function (k, v) {
        root.querySelector('[data-kpi="' + k + '"]').textContent = v;
      };
      set('viewers', d.viewers);
      set('orders', d.orders);
      set('unpaid', d.unpaid.orders);
      set('paid', d.paid.orders);
      set('gmv', yuan(d.gmvFen));
      d.offers.forEach(function (o) {
        var row = root.querySelector('[data-offer="' + o.offerId + '"]');
        if (!row) return;
        row.querySelector('[data-offer-sold]').textContent = o.sold;
        row.querySelector('[data-offer-through]').textContent = o.sellThrough + '%';
        closing[o.offerId] = o.closesAt;
      });
    });
  }, 1000);

  // Before going live: how long until the announced start (China time on the page), h:mm:ss.
  var startsIn = root.querySelector('[data-role="starts-in"]');
  var two = function (n) {
    return (n < 10 ? '0' : '') + n;
  };
  function showStartsIn() {
    if (!startsIn) return;
    var left = Math.ceil((Number(startsIn.getAttribute('data-at')) - (Date.now() + skew)) / 1000);
    startsIn.textContent =
      left > 0
        ? labels.startsIn.replace(
            '{{time}}',
            Math.floor(left / 3600) + ':' + two(Math.floor(left / 60) % 60) + ':' + two(left % 60),
          )
        : labels.startsNow;
  }
  showStartsIn();

  // The flash countdown beside each offer, so the assistant can call out the last seconds.
  setInterval(function () {
    showStartsIn();
    Object.keys(closing).forEach(function (offerId) {
      var el = root.querySelector('[data-offer="' + offerId + '"] [data-role="flash-countdown"]');
      if (!el) return;
      var closesAt = closing[offerId];
      if (!closesAt) return (el.textContent = '');
      var left = Math.max(0, Math.ceil((closesAt - (Date.now() + skew)) / 1000));
      el.textContent = left > 0 ? labels.countdown.replace('{{seconds}}', left) : labels.flashOver;
    });
  }, 250);
})();
