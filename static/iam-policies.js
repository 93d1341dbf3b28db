// Policy editors: a finding's "Line N" button puts the cursor on that line of the editor it is about.
// Delegated from the document, so findings that HTMX swaps in later work too.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button.iam-line");
  if (!button) return;
  var area = button.closest("section, details, #trust-tab");
  var editor = area && area.querySelector("textarea.iam-editor");
  if (!editor) return;
  var line = parseInt(button.dataset.line, 10) || 1;
  if (window.PolicyEditor && window.PolicyEditor.goToLine(editor, line)) return;  // the upgraded editor
  var lines = editor.value.split("\n");
  var start = 0;
  for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
  var end = start + (lines[line - 1] || "").length;
  editor.focus();
  editor.setSelectionRange(start, end);
  var lineHeight = parseFloat(getComputedStyle(editor).lineHeight) || 18;
  editor.scrollTop = Math.max(0, (line - 3) * lineHeight);
});
