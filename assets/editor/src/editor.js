// Reef's Mermaid source editor: CodeMirror 6 over the plain <textarea id="source">.
//
// Progressive enhancement: without this script the textarea is the editor. With it the
// textarea is hidden and kept in sync, so the form posts it and static/app.js (which
// listens for "input" on it and reads its value) works unchanged.
//
// Contract with the page, on the textarea element:
//   - every change of the text sets textarea.value and dispatches a bubbling "input" Event;
//   - textarea.reefEditor = { setText(text), markError(line|null), focus(), getCursor() };
//   - a bubbling "reef:editor-ready" CustomEvent (detail: { editor }) once mounted.
import { Annotation, Compartment, EditorSelection, EditorState, StateEffect, StateField, RangeSet } from "@codemirror/state";
import {
  Decoration, EditorView, GutterMarker, gutterLineClass, highlightActiveLine,
  highlightActiveLineGutter, highlightSpecialChars, keymap, lineNumbers,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, indentUnit } from "@codemirror/language";
import { mermaidLanguage } from "./mermaid.js";
import { darkTheme, layout, lightTheme } from "./highlight.js";

// Marks transactions made by setText(): they update the textarea but fire no "input".
const external = Annotation.define();

const errorGutter = new (class extends GutterMarker {
  constructor() { super(); this.elementClass = "cm-reef-error-gutter"; }
})();

// markError(): the start of the marked line, mapped through later edits, or null.
const setErrorLine = StateEffect.define();
const errorLine = StateField.define({
  create: () => null,
  update(pos, tr) {
    for (const e of tr.effects) if (e.is(setErrorLine)) return e.value;
    if (pos == null || !tr.docChanged) return pos;
    return tr.state.doc.lineAt(tr.changes.mapPos(pos, -1)).from;
  },
  provide: (field) => [
    EditorView.decorations.from(field, (pos) =>
      pos == null ? Decoration.none : Decoration.set([Decoration.line({ class: "cm-reef-error-line" }).range(pos)])),
    gutterLineClass.from(field, (pos) =>
      pos == null ? RangeSet.empty : RangeSet.of([errorGutter.range(pos)])),
  ],
});

function mount(textarea) {
  if (textarea.reefEditor) return textarea.reefEditor;

  const scheme = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  const themeFor = () => (scheme && scheme.matches ? darkTheme : lightTheme);
  const theme = new Compartment();

  const contentAttributes = {
    "aria-label": "Mermaid source",
    spellcheck: "false",
    autocorrect: "off",
    autocapitalize: "off",
    autocomplete: "off",
    translate: "no",
  };
  const describedBy = textarea.getAttribute("aria-describedby");
  if (describedBy) contentAttributes["aria-describedby"] = describedBy;

  const state = EditorState.create({
    doc: textarea.value,
    extensions: [
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightSpecialChars(),
      history(),
      bracketMatching(),
      highlightActiveLine(),
      // Escape then Tab leaves the editor: CodeMirror ignores Tab for two seconds after
      // Escape (and Ctrl-M / Shift-Alt-M on macOS toggles that mode for good).
      keymap.of([indentWithTab, ...defaultKeymap, ...historyKeymap]),
      indentUnit.of("    "),
      EditorState.tabSize.of(4),
      mermaidLanguage,
      errorLine,
      layout,
      theme.of(themeFor()),
      EditorView.contentAttributes.of(contentAttributes),
      EditorView.editorAttributes.of({ class: "reef-editor" }),
      EditorView.updateListener.of((update) => {
        if (!update.docChanged) return;
        textarea.value = update.state.doc.toString();
        if (update.transactions.every((tr) => !tr.docChanged || tr.annotation(external))) return;
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      }),
    ],
  });

  const view = new EditorView({ state });
  textarea.insertAdjacentElement("afterend", view.dom);

  // Hidden from everyone; CSSOM writes (not style attributes) are allowed by the CSP.
  textarea.hidden = true;
  textarea.style.display = "none";
  // A hidden required field would block submission ("An invalid form control is not
  // focusable"); the server validates the source anyway.
  textarea.removeAttribute("required");

  if (scheme) {
    const swap = () => view.dispatch({ effects: theme.reconfigure(themeFor()) });
    if (scheme.addEventListener) scheme.addEventListener("change", swap);
    else if (scheme.addListener) scheme.addListener(swap);
  }

  // <label for="source"> points at the hidden textarea: send its clicks to the editor.
  if (textarea.id) {
    const selector = 'label[for="' + (window.CSS && CSS.escape ? CSS.escape(textarea.id) : textarea.id) + '"]';
    document.querySelectorAll(selector).forEach((label) => {
      label.addEventListener("click", (event) => {
        event.preventDefault();
        view.focus();
      });
    });
  }

  // Belt and braces: the form always posts the editor's text.
  if (textarea.form) {
    textarea.form.addEventListener("submit", () => { textarea.value = view.state.doc.toString(); }, true);
    textarea.form.addEventListener("formdata", () => { textarea.value = view.state.doc.toString(); }, true);
  }

  const editor = {
    view,
    // Replace the whole text; the caret and selection stay where they were, clamped to the
    // new length. Updates textarea.value but dispatches no "input" event. Undoable.
    setText(text) {
      text = text == null ? "" : String(text);
      const current = view.state;
      if (current.doc.toString() === text) return;
      const length = text.length;
      const clamp = (n) => Math.min(n, length);
      const selection = EditorSelection.create(
        current.selection.ranges.map((r) => EditorSelection.range(clamp(r.anchor), clamp(r.head))),
        current.selection.mainIndex,
      );
      view.dispatch({
        changes: { from: 0, to: current.doc.length, insert: text },
        selection,
        annotations: external.of(true),
      });
    },
    // Mark a 1-based line (clamped to the document) as the one with an error, or clear the
    // mark with null. The mark follows its line through later edits until replaced.
    markError(line) {
      let pos = null;
      const n = Number(line);
      if (line != null && line !== false && Number.isFinite(n) && n >= 1) {
        const doc = view.state.doc;
        pos = doc.line(Math.min(Math.floor(n), doc.lines)).from;
      }
      view.dispatch({ effects: setErrorLine.of(pos) });
    },
    focus() {
      view.focus();
    },
    // The main caret: 1-based line (like markError and the renderer's messages), 0-based
    // column ch in UTF-16 code units.
    getCursor() {
      const head = view.state.selection.main.head;
      const line = view.state.doc.lineAt(head);
      return { line: line.number, ch: head - line.from };
    },
  };
  textarea.reefEditor = editor;

  if (textarea.autofocus) view.focus();
  textarea.dispatchEvent(new CustomEvent("reef:editor-ready", { bubbles: true, detail: { editor } }));
  return editor;
}

// The editor's CSS goes in through a constructable stylesheet (see build.mjs). Where that
// is missing (Firefox < 101, Safari < 16.4) the CSP would leave the editor unstyled, so the
// plain textarea stays.
function supported() {
  return typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype &&
    "adoptedStyleSheets" in Document.prototype;
}

function start() {
  if (!supported()) return;
  const textarea = document.getElementById("source");
  if (textarea && textarea.tagName === "TEXTAREA" && textarea.closest("#editor-form")) mount(textarea);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
