/* Sign-in pages: count down to when a new SMS code may be requested, and move focus to an error summary.
   Without this script the page says in words when a new code can be requested, and the server refuses an early
   request with the seconds left, so nothing depends on it. */
(function () {
  "use strict";

  function countdown(button) {
    var left = parseInt(button.getAttribute("data-countdown"), 10) || 0;
    var label = button.getAttribute("data-countdown-label");
    var template = button.getAttribute("data-countdown-template");
    if (left <= 0) {
      return;
    }
    function tick() {
      if (left <= 0) {
        button.disabled = false;
        button.textContent = label;
        return;
      }
      button.disabled = true;
      button.textContent = template.replace("%s", String(left));
      left -= 1;
      window.setTimeout(tick, 1000);
    }
    tick();
  }

  document.querySelectorAll("[data-countdown]").forEach(countdown);

  var summary = document.querySelector("[data-focus-on-load]");
  if (summary) {
    summary.focus();
  }
})();
