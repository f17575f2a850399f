/* global io */
// The streamer's order list follows payments as they happen: a changed order reloads the list
// (it is short, and the counts must stay exact).
(function () {
  if (typeof io !== 'function' || !document.getElementById('shop-orders')) return;
  var socket = io({ transports: ['websocket', 'polling'] });
  var pending = null;
  socket.on('order:changed', function () {
    if (pending) return;
    pending = setTimeout(function () {
      location.reload();
    }, 800);
  });
})();
