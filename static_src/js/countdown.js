// The live session page's countdown to the start (a static file: the Content-Security-Policy
// allows no inline script without a nonce, and public pages are cached whole).
(function () {
  var el = document.getElementById("countdown");
  if (!el) return;
  var start = parseInt(el.getAttribute("data-start"), 10) * 1000;
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function tick() {
    var s = Math.max(0, Math.floor((start - Date.now()) / 1000));
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    el.textContent = (d ? d + " ngày " : "") + pad(h) + ":" + pad(m) + ":" + pad(s % 60);
    if (s > 0) setTimeout(tick, 1000); else location.reload();
  }
  tick();
})();
