// A replay's chapters: tapping a time seeks the recording there and plays it. Without the
// recording in the page (a watch link), the times are only read.
(function () {
  var root = document.getElementById('replay');
  var video = root && root.querySelector('[data-role="recording"]');
  if (!video) return;
  function seekTo(seconds, button) {
    var seek = function () {
      video.currentTime = seconds;
      var playing = video.play();
      if (playing && playing.catch) playing.catch(function () {});
    };
    // The recording may not know its length yet on a slow phone: seek once it does.
    if (video.readyState >= 1) seek();
    else video.addEventListener('loadedmetadata', seek, { once: true });
    Array.prototype.forEach.call(root.querySelectorAll('.chapter'), function (li) {
      li.classList.toggle('is-current', !!button && li.contains(button));
    });
    video.scrollIntoView({ block: 'nearest' });
  }
  root.addEventListener('click', function (event) {
    var button = event.target.closest('[data-seconds]');
    if (button) seekTo(Number(button.getAttribute('data-seconds')), button);
  });
  // Arriving from a product page (在回放中看讲解): /live/…/replay#t=760 starts at that moment.
  var at = /^#t=(\d+)$/.exec(location.hash);
  if (at) seekTo(Number(at[1]), root.querySelector('[data-seconds="' + at[1] + '"]'));
})();
