// IAM pages: the filter box above a long checkbox list (policies to attach) hides the entries whose label
// does not contain the typed text. Everything else on these pages is plain HTML and htmx.
(function () {
  "use strict";

  function filterList(input) {
    var list = document.querySelector(input.getAttribute("data-filter-list"));
    if (!list) return;
    var needle = input.value.trim().toLowerCase();
    list.querySelectorAll("label").forEach(function (label) {
      var entry = label.closest("div:not(.iam-checklist):not([id])") || label;
      entry.hidden = needle !== "" && label.textContent.toLowerCase().indexOf(needle) === -1;
    });
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("input[data-filter-list]")) filterList(event.target);
  });
})();
