// Lucky bags (福袋) in the live room and the streamer's console: a card per giveaway with its
// prize, the entry count and the countdown to the draw, then the winners (masked names), what
// this buyer won, and a link to the public draw record. The room and the console each mount it
// on their own socket.
(function () {
  var fill = function (text, params) {
    return String(text).replace(/\{\{(\w+)\}\}/g, function (_, k) {
      return params && params[k] != null ? params[k] : '';
    });
  };
  var yuan = function (fen) {
    return '¥' + (fen / 100).toFixed(2);
  };
  /** 300 000 ms → "5:00": what is left before a draw. */
  var clock = function (ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    return Math.floor(s / 60) + ':' + ('0' + (s % 60)).slice(-2);
  };
  var el = function (tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  };

  /**
   * o: { box, socket, sessionId, labels, serverNow(), say(text, kind), steer (the console),
   *      enter(giveaway) (the room: sign in first if needed), sendKeyword(keyword) }
   */
  function mount(o) {
    var L = o.labels;
    var lang = (document.documentElement.lang || 'zh').indexOf('en') === 0 ? 'en' : 'zh';
    var list = [];

    var prizeText = function (g) {
      return g.prize.kind === 'sku'
        ? fill(L.prizeSku, { title: g.prize.title[lang], spec: g.prize.spec[lang] })
        : fill(L.prizeCoupon, { off: yuan(g.prize.offFen), min: yuan(g.prize.minFen) });
    };
    function card(g) {
      var c = el('section', 'giveaway is-' + g.status);
      c.setAttribute('data-giveaway', g.giveawayId);
      c.setAttribute('data-testid', 'giveaway');
      var head = el('h3', null, L.heading + ' · ' + prizeText(g));
      c.appendChild(head);
      var facts = el('p', 'muted');
      facts.appendChild(el('span', null, fill(L.winnersCount, { count: g.winners }) + ' · '));
      var count = el('span', null, fill(L.entries, { count: g.entries }));
      count.setAttribute('data-testid', 'giveaway-entries');
      facts.appendChild(count);
      if (g.status === 'open') {
        var left = el('b', 'giveaway-countdown');
        left.setAttribute('data-ends', g.endsAt);
        facts.append(' · ', left);
      }
      c.appendChild(facts);
      if (g.status === 'open') {
        var actions = el('p', 'giveaway-actions');
        if (o.steer) {
          var now = el('button', 'button small', L.drawNow);
          now.type = 'button';
          now.setAttribute('data-testid', 'giveaway-draw-now');
          now.addEventListener('click', function () {
            now.disabled = true;
            o.socket.emit(
              'live:giveaway-draw',
              { sessionId: o.sessionId, giveawayId: g.giveawayId },
              function (ack) {
                now.disabled = false;
                if (!ack.ok) return o.say(ack.message, 'error');
                var result = ack.data && ack.data.result;
                if (result) o.say(fill(L.drawn, { count: result.winners.length }), 'ok');
              },
            );
          });
          actions.appendChild(now);
        } else if (g.entry === 'keyword') {
          actions.appendChild(el('span', null, fill(L.enterKeyword, { keyword: g.keyword }) + ' '));
          var send = el('button', 'button small', g.mine && g.mine.entered ? L.entered : L.enter);
          send.type = 'button';
          send.disabled = !!(g.mine && g.mine.entered);
          send.setAttribute('data-testid', 'giveaway-keyword');
          send.addEventListener('click', function () {
            o.sendKeyword(g.keyword);
          });
          actions.appendChild(send);
        } else {
          var enter = el('button', 'button small', g.mine && g.mine.entered ? L.entered : L.enter);
          enter.type = 'button';
          enter.disabled = !!(g.mine && g.mine.entered);
          enter.setAttribute('data-testid', 'giveaway-enter');
          enter.addEventListener('click', function () {
            o.enter(g);
          });
          actions.appendChild(enter);
        }
        c.appendChild(actions);
      }
      if (g.status === 'drawing') c.appendChild(el('p', 'muted', L.drawing));
      if (g.result) {
        if (g.mine && g.mine.won) {
          var won = el('p', 'notice', L.youWon + ' ');
          won.setAttribute('data-testid', 'giveaway-won');
          if (g.mine.orderNo) {
            var link = el('a', null, fill(L.youWonOrder, { orderNo: g.mine.orderNo }));
            link.href = '/orders/' + encodeURIComponent(g.mine.orderNo);
            link.setAttribute('data-testid', 'giveaway-order');
            won.appendChild(link);
          } else if (g.prize.kind === 'coupon') won.appendChild(el('span', null, L.youWonCoupon));
          c.appendChild(won);
        } else if (g.mine && g.mine.entered) c.appendChild(el('p', 'muted', L.youLost));
        if (g.result.winners.length === 0) c.appendChild(el('p', 'muted', L.noEntrants));
        else {
          c.appendChild(el('h4', null, L.winnersHeading));
          var names = el('ol', 'giveaway-winners');
          names.setAttribute('data-testid', 'giveaway-winners');
          g.result.winners.forEach(function (w) {
            var li = el('li', null, w.name + ' ');
            li.appendChild(el('small', 'muted', w.token.slice(0, 6)));
            names.appendChild(li);
          });
          c.appendChild(names);
        }
        if (g.result.shortBy > 0)
          c.appendChild(el('p', 'alert', fill(L.shortBy, { count: g.result.shortBy })));
      }
      var foot = el('p', 'muted');
      if (g.mine && g.mine.entered)
        foot.appendChild(
          el('small', null, fill(L.yourToken, { token: g.mine.token.slice(0, 6) }) + ' · '),
        );
      var record = el('a', null, L.record);
      record.href = '/giveaways/' + g.giveawayId;
      record.setAttribute('data-testid', 'giveaway-record');
      foot.appendChild(el('small')).appendChild(record);
      c.appendChild(foot);
      return c;
    }

    function render() {
      o.box.textContent = '';
      o.box.hidden = list.length === 0;
      list
        .slice()
        .reverse()
        .forEach(function (g) {
          o.box.appendChild(card(g));
        });
      tick();
    }
    function tick() {
      Array.prototype.forEach.call(o.box.querySelectorAll('[data-ends]'), function (node) {
        var left = Number(node.getAttribute('data-ends')) - o.serverNow();
        node.textContent = left > 0 ? fill(L.endsIn, { time: clock(left) }) : L.drawing;
      });
    }
    setInterval(tick, 500);

    /** A room-wide push carries no buyer's own state: keep it, and see if they won. */
    function set(giveaways) {
      var mine = {};
      list.forEach(function (g) {
        if (g.mine) mine[g.giveawayId] = g.mine;
      });
      list = giveaways.map(function (g) {
        var m = g.mine || mine[g.giveawayId];
        // A win is never taken back (the win's own push may come first); without a token the
        // buyer's entry is not known here.
        if (m && g.result && !g.mine && m.token && !m.won) {
          m.won = g.result.winners.some(function (w) {
            return w.token === m.token;
          });
          m.entered = m.entered || m.won;
        }
        if (m) g.mine = m;
        return g;
      });
      render();
    }
    o.socket.on('live:giveaways', function (update) {
      if (update.sessionId === o.sessionId) set(update.giveaways);
    });
    o.socket.on('giveaway:won', function (won) {
      if (won.sessionId !== o.sessionId) return;
      list.forEach(function (g) {
        if (g.giveawayId !== won.giveawayId || !g.mine) return;
        g.mine.won = true;
        if (won.orderNo) g.mine.orderNo = won.orderNo;
      });
      render();
    });
    return {
      set: set,
      /** The buyer entered (a tap or the keyword): shown at once, before the next push. */
      entered: function (giveawayId, token) {
        list.forEach(function (g) {
          if (g.giveawayId !== giveawayId && giveawayId) return;
          if (!giveawayId && g.status !== 'open') return;
          g.mine = g.mine || { token: token || '', won: false, orderNo: null };
          g.mine.entered = true;
          if (token) g.mine.token = token;
        });
        render();
      },
    };
  }

  window.CunboGiveaways = { mount: mount, clock: clock };
})();
