// PriceWatch pages: the only script besides htmx (no inline script anywhere).
(function () {
  "use strict";
  // Times are shown in the reader's zone: tell the server the browser's own,
  // once, unless the settings page chose one.
  if (!document.cookie.split("; ").some(function (c) { return c.indexOf("pw_tz=") === 0; })) {
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone) {
        document.cookie = "pw_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
      }
    } catch (e) { /* an old browser: times stay in UTC */ }
  }
  // Forms that destroy something ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
