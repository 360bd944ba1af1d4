// Suggestions while typing in a search box (progressive enhancement: without this script the
// box is a plain GET form). Boxes opt in with data-suggest="<autocomplete API URL>"; the
// suggestions fill a <datalist>, so the browser shows them natively (keyboard, touch, screen
// readers). On a weak connection: one request at a time (a newer keystroke aborts the older
// request), a short pause before asking, nothing shown when the network fails.
(function () {
  "use strict";
  var PAUSE_MS = 200, MIN_CHARS = 2;

  function attach(input, index) {
    var list = document.createElement("datalist");
    list.id = "search-suggestions-" + index;
    input.after(list);
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    var timer = null, pending = null, asked = "";

    function show(suggestions) {
      list.replaceChildren.apply(list, suggestions.map(function (s) {
        var option = document.createElement("option");
        option.value = s.text;
        return option;
      }));
    }

    function ask() {
      var typed = input.value.trim();
      if (typed.length < MIN_CHARS) { show([]); return; }
      if (typed === asked) return;
      asked = typed;
      if (pending) pending.abort();
      pending = new AbortController();
      var url = input.dataset.suggest + "?q=" + encodeURIComponent(typed);
      fetch(url, {headers: {Accept: "application/json"}, signal: pending.signal})
        .then(function (response) { return response.ok ? response.json() : {suggestions: []}; })
        .then(function (body) { if (input.value.trim() === typed) show(body.suggestions || []); })
        .catch(function () { /* aborted or offline: keep the box as it is */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, PAUSE_MS);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-suggest]").forEach(attach);
  });
})();
