// Staff pages: queue selection and refresh, bulk-action fields, htmx answers to show.
// No inline script anywhere (CSP script-src 'self'), so the behaviour lives here.
(function () {
  "use strict";

  function ticked() {
    return document.querySelectorAll(".row-select:checked");
  }

  function syncSelection() {
    var count = ticked().length;
    var counter = document.getElementById("bulk-count");
    if (counter) counter.textContent = String(count);
    var submit = document.getElementById("bulk-submit");
    if (submit) submit.disabled = count === 0;
    var all = document.getElementById("select-all");
    if (all) {
      var boxes = document.querySelectorAll(".row-select").length;
      all.checked = boxes > 0 && count === boxes;
      all.indeterminate = count > 0 && count < boxes;
    }
  }

  // Only the inputs the chosen bulk action needs are shown (all of them without JS).
  function showBulkFields() {
    var action = document.querySelector("#bulk-form select[name=action]");
    if (!action) return;
    document.querySelectorAll("#bulk-form [data-bulk-for]").forEach(function (group) {
      group.hidden = group.getAttribute("data-bulk-for") !== action.value;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "select-all") {
      document.querySelectorAll(".row-select").forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.id === "select-all" || target.classList.contains("row-select")) syncSelection();
    if (target.matches("#bulk-form select[name=action]")) showBulkFields();
  });

  // The queue refreshes itself every 30 s, but never while rows are ticked: the new rows
  // would drop the ticks. (htmx trigger filters would need eval, which the CSP forbids.)
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.id === "queue-poller" && ticked().length > 0) {
      event.preventDefault();
    }
  });

  // A refused action (409, 403) or a form to correct (400) comes with a fragment to show.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 403 || status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", syncSelection);
  document.addEventListener("DOMContentLoaded", function () {
    syncSelection();
    showBulkFields();
  });
})();
