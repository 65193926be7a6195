// The board follows the read model: each change the server announces (server-sent events) reloads the board's
// content in place, keeping the filters; without JavaScript the page is the same, reloaded by hand.
(function () {
  var main = document.getElementById("main");
  if (!main || !window.EventSource) return;
  var pending = false;
  function refresh() {
    if (pending) return;
    pending = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        pending = false;
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        if (fresh) { main.innerHTML = fresh.innerHTML; main.setAttribute("data-refreshed", Date.now()); }
      })
      .catch(function () { pending = false; });
  }
  new EventSource("/board/stream").addEventListener("board", refresh);
})();
