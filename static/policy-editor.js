// The policy editor: every <textarea class="policy-editor"> becomes a CodeMirror editor (vendored in
// static/editor/, loaded only on pages that have one) with line numbers, JSON highlighting, wrapped long lines
// and the validator's findings marked at their lines.
//
// Progressive enhancement: the textarea stays the form field (kept in step both ways, so forms, htmx and
// tests that fill it keep working); without JavaScript it is the editor. Tab and Shift-Tab leave the editor,
// so the keyboard is never trapped.
(function () {
  "use strict";

  var script = document.currentScript;
  var base = script ? script.src.replace(/policy-editor\.js(\?.*)?$/, "") : "/static/";
  var loading = null;
  var editors = [];   // [{textarea, cm, marked: [line handles]}]

  function load(tag, attributes) {
    return new Promise(function (resolve, reject) {
      var element = document.createElement(tag);
      Object.keys(attributes).forEach(function (name) { element[name] = attributes[name]; });
      element.onload = resolve;
      element.onerror = reject;
      document.head.appendChild(element);
    });
  }

  function loadCodeMirror() {
    if (window.CodeMirror) return Promise.resolve();
    if (!loading) {
      loading = Promise.all([
        load("link", {rel: "stylesheet", href: base + "editor/codemirror/lib/codemirror.css"}),
        load("link", {rel: "stylesheet", href: base + "css/policy-editor.css"}),
        load("script", {src: base + "editor/codemirror/lib/codemirror.js"})
      ]).then(function () {
        return load("script", {src: base + "editor/codemirror/mode/javascript/javascript.js"});
      });
    }
    return loading;
  }

  // The editor's own input is named apart from the textarea it stands for (which keeps the field's label).
  function labelOf(textarea) {
    var label = textarea.id && document.querySelector('label[for="' + textarea.id + '"]');
    var text = label ? label.textContent.replace(/[()]/g, "").replace(/\s+/g, " ").trim() : "policy JSON";
    return "Code editor: " + text;
  }

  function upgrade(textarea) {
    if (textarea.dataset.policyEditor === "on") return;
    textarea.dataset.policyEditor = "on";
    var cm = window.CodeMirror(function (element) {
      textarea.parentNode.insertBefore(element, textarea.nextSibling);
    }, {
      value: textarea.value,
      mode: {name: "javascript", json: true},
      lineNumbers: true,
      lineWrapping: true,
      indentUnit: 4,
      tabSize: 4,
      readOnly: textarea.readOnly,
      gutters: ["pe-findings", "CodeMirror-linenumbers"],
      screenReaderLabel: labelOf(textarea),
      extraKeys: {"Tab": false, "Shift-Tab": false},
      viewportMargin: Infinity
    });
    var entry = {textarea: textarea, cm: cm, marked: []};
    editors.push(entry);
    textarea.classList.add("pe-source");
    textarea.tabIndex = -1;
    cm.getWrapperElement().classList.add("pe-editor");
    if (textarea.getAttribute("aria-invalid") === "true") cm.getWrapperElement().classList.add("pe-invalid");
    cm.refresh();  // measure the gutters again now that the editor's own styles apply
    var syncing = false;
    cm.on("changes", function () {
      if (syncing) return;
      syncing = true;
      textarea.value = cm.getValue();
      textarea.dispatchEvent(new Event("input", {bubbles: true}));
      syncing = false;
    });
    textarea.addEventListener("input", function () {
      if (syncing || textarea.value === cm.getValue()) return;
      syncing = true;
      cm.setValue(textarea.value);
      syncing = false;
    });
    // A click on the field's label puts the cursor in the editor, as it would in the textarea.
    if (textarea.id) {
      var label = document.querySelector('label[for="' + textarea.id + '"]');
      if (label) label.addEventListener("click", function (event) { event.preventDefault(); cm.focus(); });
    }
  }

  function entryFor(textarea) {
    for (var i = 0; i < editors.length; i++) if (editors[i].textarea === textarea) return editors[i];
    return null;
  }

  // The editor a findings list is about: the nearest enclosing element that holds a policy editor.
  function editorNear(element) {
    for (var node = element; node && node !== document; node = node.parentElement) {
      var textarea = node.querySelector && node.querySelector("textarea.policy-editor");
      if (textarea) return entryFor(textarea);
    }
    return null;
  }

  function severityOf(row) {
    var match = /kms-finding-([a-z_]+)/.exec(row ? row.className : "");
    return match ? match[1].replace("_", "-") : "warning";
  }

  function markFindings(root) {
    var lists = root.querySelectorAll ? root.querySelectorAll(".iam-findings, #policy-findings") : [];
    if (root.matches && root.matches(".iam-findings, #policy-findings")) lists = [root];
    Array.prototype.forEach.call(lists, function (list) {
      var entry = editorNear(list);
      if (!entry) return;
      var cm = entry.cm;
      cm.clearGutter("pe-findings");
      entry.marked.forEach(function (handle) { cm.removeLineClass(handle, "wrap"); });
      entry.marked = [];
      var byLine = {};
      Array.prototype.forEach.call(list.querySelectorAll("[data-line]"), function (cell) {
        var line = parseInt(cell.dataset.line, 10);
        if (!line || line > cm.lineCount()) return;
        var row = cell.closest("tr");
        var text = row ? row.cells[row.cells.length - 1].textContent.trim() : "";
        (byLine[line] = byLine[line] || []).push({severity: severityOf(row), text: text});
      });
      Object.keys(byLine).forEach(function (key) {
        var line = parseInt(key, 10) - 1;
        var findings = byLine[key];
        var worst = findings[0].severity;
        var marker = document.createElement("span");
        marker.className = "pe-marker pe-marker-" + worst;
        marker.textContent = worst === "error" ? "!" : "•";
        marker.title = findings.map(function (f) { return f.severity.toUpperCase() + ": " + f.text; }).join("\n");
        marker.setAttribute("aria-label", "Line " + key + ": " + marker.title);
        cm.setGutterMarker(line, "pe-findings", marker);
        entry.marked.push(cm.addLineClass(line, "wrap", "pe-line-" + worst));
      });
    });
  }

  // Put the cursor on a line of the editor (the findings' "Line N" buttons).
  function goToLine(textarea, line) {
    var entry = entryFor(textarea);
    if (!entry) return false;
    var cm = entry.cm;
    var index = Math.max(0, Math.min(line - 1, cm.lineCount() - 1));
    cm.focus();
    cm.setSelection({line: index, ch: 0}, {line: index, ch: cm.getLine(index).length});
    cm.scrollIntoView({line: index, ch: 0}, 60);
    return true;
  }

  function enhance(root) {
    var areas = root.querySelectorAll ? root.querySelectorAll("textarea.policy-editor") : [];
    if (!areas.length) { if (editors.length) markFindings(root); return; }
    loadCodeMirror().then(function () {
      Array.prototype.forEach.call(areas, upgrade);
      markFindings(document);
    });
  }

  window.PolicyEditor = {goToLine: goToLine, enhance: enhance};
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  // htmx swaps in new editors (a tab, a wizard step) and new findings.
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
