// Every <time data-local> in the reader's own time zone. The server writes the same format
// in UTC ("Dec 2, 2026, 21:16 UTC", "2026年12月2日 21:16 UTC"); that text stays as the
// element's title, and stays as it is wherever the browser cannot say its zone.
(function () {
  "use strict";

  function parts(lang) {
    return {
      date: new Intl.DateTimeFormat(lang, { year: "numeric", month: "short", day: "numeric" }),
      time: new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
      zone: new Intl.DateTimeFormat(lang, { timeZoneName: "short" })
    };
  }

  function zoneName(format, when) {
    var found = format.formatToParts(when).filter(function (part) {
      return part.type === "timeZoneName";
    });
    return found.length ? found[0].value : "";
  }

  function localize(root) {
    var lang = document.documentElement.lang || "en";
    var format;
    try {
      format = parts(lang);
    } catch (error) {
      return; // no Intl: the UTC text written by the server stays
    }
    // Chinese runs the date and the time together; English puts a comma between them.
    var separator = lang.indexOf("zh") === 0 ? " " : ", ";
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      var zone = zoneName(format.zone, when);
      if (!zone) return;
      if (!el.title) el.title = el.textContent.trim();
      el.textContent = format.date.format(when) + separator + format.time.format(when) + " " + zone;
    });
  }

  document.addEventListener("DOMContentLoaded", function () { localize(document); });
  document.addEventListener("htmx:afterSettle", function (event) { localize(event.target); });
})();
