// Behaviour of the console's shared layout and components (templates/base.html, templates/components/).
// No inline scripts: the Content-Security-Policy allows scripts from this site's static files only.
document.addEventListener("change", (event) => {
  // The region selector switches region as soon as one is chosen (the <noscript> button does it without JS).
  if (event.target.id === "region-select") {
    event.target.form.requestSubmit();
  }
  const chooser = event.target.closest("[data-columns-for]");
  if (chooser) {
    saveColumns(chooser);
    applyColumns(chooser);
  }
});

// Column chooser (components/table_columns.html): the unchecked columns are hidden with a class per column
// on the table (console.css: .hide-col-<id>), and the choice is kept per table in localStorage.
function columnsKey(chooser) {
  return "kms-console:columns:" + chooser.dataset.columnsFor;
}

function saveColumns(chooser) {
  const hidden = [...chooser.querySelectorAll("input[type=checkbox]")].filter((box) => !box.checked).map((box) => box.value);
  try {
    localStorage.setItem(columnsKey(chooser), JSON.stringify(hidden));
  } catch (error) { /* storage may be off: the choice then lasts for this page only */ }
}

function applyColumns(chooser) {
  const table = document.getElementById(chooser.dataset.columnsFor);
  let hidden = null;
  try {
    hidden = JSON.parse(localStorage.getItem(columnsKey(chooser)) || "null");
  } catch (error) { hidden = null; }
  for (const box of chooser.querySelectorAll("input[type=checkbox]")) {
    if (Array.isArray(hidden)) box.checked = !hidden.includes(box.value);
    if (table) table.classList.toggle("hide-col-" + box.value, !box.checked);
  }
}

function setUp(root) {
  root.querySelectorAll("[data-columns-for]").forEach(applyColumns);
}

document.addEventListener("DOMContentLoaded", () => setUp(document));
document.addEventListener("htmx:afterSettle", () => setUp(document));

// Copy buttons (components/arn.html, the event record): data-copy holds the text, data-copy-from an element id.
document.addEventListener("click", async (event) => {
  const copy = event.target.closest("[data-copy], [data-copy-from]");
  if (copy) {
    const source = copy.dataset.copyFrom ? document.getElementById(copy.dataset.copyFrom) : null;
    const text = source ? source.textContent : copy.dataset.copy;
    const label = copy.textContent;
    try {
      await navigator.clipboard.writeText(text);
      copy.textContent = "Copied";
    } catch (error) {
      copy.textContent = "Copy failed";
    }
    setTimeout(() => { copy.textContent = label; }, 1500);
    return;
  }
  // Modals (components/modal.html): a native <dialog>, so focus and Escape behave as the browser's own.
  const opener = event.target.closest("[data-modal-open]");
  if (opener) {
    document.getElementById(opener.dataset.modalOpen)?.showModal();
    return;
  }
  const closer = event.target.closest("[data-modal-close]");
  if (closer) closer.closest("dialog")?.close();
});

// After a change made through htmx (any successful non-GET request), tell the page: panels that show
// state derived from changes (a key's recent activity) listen with hx-trigger="kms-changed from:body".
document.addEventListener("htmx:afterRequest", (event) => {
  const verb = (event.detail.requestConfig && event.detail.requestConfig.verb || "get").toLowerCase();
  if (verb !== "get" && event.detail.successful) {
    document.body.dispatchEvent(new CustomEvent("kms-changed", { bubbles: true }));
  }
});
