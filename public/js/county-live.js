/* global io */
// /county: the "now" numbers (rooms on air, today's sales, the funnel) are asked for over
// socket.io every few seconds while the page is open and written in place; a hidden tab stops
// asking. Text only (textContent), so nothing from the server becomes markup.
(function () {
  var root = document.getElementById('county-screen');
  if (!root || typeof io === 'undefined') return;
  var labels = JSON.parse(document.getElementById('county-labels').textContent || '{}');
  var every = Number(root.getAttribute('data-refresh-ms')) || 4000;
  var yuan = new Intl.NumberFormat('zh-CN', { style: 'currency', currency: 'CNY' });
  // China time whatever zone the device is set to.
  var clock = new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  var money = function (fen) {
    return yuan.format(fen / 100);
  };
  var fill = function (template, values) {
    return String(template || '').replace(/\{\{(\w+)\}\}/g, function (_, name) {
      return values[name] === undefined || values[name] === null ? '' : String(values[name]);
    });
  };
  var set = function (selector, text) {
    var el = root.querySelector(selector);
    if (el) el.textContent = text;
  };

  var showRooms = function (rooms) {
    var body = root.querySelector('[data-now="rooms"]');
    if (!body || !rooms) return;
    while (body.firstChild) body.removeChild(body.firstChild);
    if (rooms.length === 0) {
      var empty = document.createElement('tr');
      var cell = document.createElement('td');
      cell.colSpan = 5;
      cell.className = 'muted';
      cell.textContent = labels.noRooms;
      empty.appendChild(cell);
      body.appendChild(empty);
      return;
    }
    rooms.forEach(function (room) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-session', room.sessionId);
      var first = document.createElement('td');
      var link = document.createElement('a');
      link.href = '/live/' + room.sessionId;
      link.textContent = room.title;
      var shop = document.createElement('small');
      shop.className = 'muted';
      shop.textContent = ' ' + room.shop;
      first.appendChild(link);
      first.appendChild(shop);
      tr.appendChild(first);
      [
        ['viewers', String(room.viewers)],
        ['buysPerMin', room.buysPerMin === null ? '—' : String(room.buysPerMin)],
        ['placed', money(room.placedFen)],
        ['sellThrough', room.sold + '/' + room.allotment + ' · ' + room.sellThroughPct + '%'],
      ].forEach(function (pair) {
        var td = document.createElement('td');
        td.setAttribute('data-cell', pair[0]);
        td.textContent = pair[1];
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  };

  var show = function (data) {
    if (data.today) {
      set('[data-now="today.gmv"]', money(data.today.gmvFen));
      set('[data-now="today.orders"]', String(data.today.orders));
      set('[data-now="today.paidPct"]', data.today.paidPct + '%');
      set(
        '[data-now="today.vsYesterday"]',
        data.today.vsYesterdayPct === null
          ? ''
          : fill(labels.vsYesterday, { pct: data.today.vsYesterdayPct }),
      );
      set(
        '[data-now="today.vsLastWeek"]',
        data.today.vsLastWeekPct === null
          ? ''
          : fill(labels.vsLastWeek, { pct: data.today.vsLastWeekPct }),
      );
    }
    showRooms(data.rooms);
    (data.funnel || []).forEach(function (stage) {
      var li = root.querySelector('[data-status="' + stage.status + '"]');
      if (!li) return;
      li.querySelector('[data-cell="count"]').textContent = String(stage.count);
      li.querySelector('[data-cell="oldest"]').textContent = stage.oldestNo
        ? fill(labels.oldest, { no: stage.oldestNo, hours: stage.oldestHours })
        : '';
    });
    set('[data-role="refreshed"]', fill(labels.refreshed, { time: clock.format(new Date()) }));
  };

  // The report's links follow the month picked.
  var month = root.querySelector('#county-report-form input[name=month]');
  if (month)
    month.addEventListener('change', function () {
      if (!/^\d{4}-\d{2}$/.test(month.value)) return;
      Array.prototype.forEach.call(root.querySelectorAll('[data-report]'), function (link) {
        link.href = link.href.replace(
          /\/county\/report\/\d{4}-\d{2}/,
          '/county/report/' + month.value,
        );
      });
    });

  var socket = io({ transports: ['websocket', 'polling'] });
  var ask = function () {
    if (document.hidden || !socket.connected) return;
    socket.emit('county:now', {}, function (ack) {
      if (ack && ack.ok) show(ack.data);
    });
  };
  socket.on('connect', ask);
  setInterval(ask, every);
  document.addEventListener('visibilitychange', ask);
})();
