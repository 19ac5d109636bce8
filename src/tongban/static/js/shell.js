/* Page shell: apply a toolbar choice at once instead of reloading the page.
   Without this script the toolbar form posts to /display-preferences, which sets the same cookies and returns to the
   page; the server renders the classes on <html> from the cookies, so the first paint is right either way. */
(function () {
  "use strict";

  var form = document.getElementById("display-form");
  if (!form) {
    return;
  }
  var root = document.documentElement;
  var YEAR = 365 * 24 * 3600;
  // name -> {value: class on <html>}; must match DisplayPreferences.css_classes in core/templatetags/shell.py.
  var CLASSES = {
    font: { s: "font-s", m: "", l: "font-l" },
    care: { 0: "", 1: "care" },
    theme: { "default": "", contrast: "theme-contrast", green: "theme-green", yellow: "theme-yellow" }
  };

  function saveCookie(name, value) {
    var secure = window.location.protocol === "https:" ? "; secure" : "";
    document.cookie = "tb_" + name + "=" + value + "; path=/; max-age=" + YEAR + "; samesite=lax" + secure;
  }

  function applyClass(name, value) {
    var classes = CLASSES[name];
    Object.keys(classes).forEach(function (key) {
      if (classes[key]) {
        root.classList.remove(classes[key]);
      }
    });
    if (classes[value]) {
      root.classList.add(classes[value]);
    }
  }

  function markPressed(name, value) {
    if (name === "care") {
      var toggle = form.querySelector('button[name="care"]');
      toggle.setAttribute("aria-pressed", value === "1" ? "true" : "false");
      toggle.value = value === "1" ? "0" : "1";
      return;
    }
    form.querySelectorAll('button[name="' + name + '"]').forEach(function (button) {
      button.setAttribute("aria-pressed", button.value === value ? "true" : "false");
    });
  }

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || !Object.prototype.hasOwnProperty.call(CLASSES, button.name)) {
      return; // let the server handle it
    }
    var value = button.value;
    if (!Object.prototype.hasOwnProperty.call(CLASSES[button.name], value)) {
      return;
    }
    event.preventDefault();
    saveCookie(button.name, value);
    applyClass(button.name, value);
    markPressed(button.name, value);
  });
})();
