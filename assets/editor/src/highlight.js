// Editor chrome and syntax colours, light and dark. Every rule is injected through
// CodeMirror's style-mod, which uses a constructable stylesheet (adoptedStyleSheets), so
// none of it needs 'unsafe-inline' under the page's Content-Security-Policy.
import { EditorView } from "@codemirror/view";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { tags as t } from "@lezer/highlight";

const MONO = 'var(--mono, ui-monospace, "SFMono-Regular", "JetBrains Mono", Menlo, Consolas, monospace)';

// Shared layout: sized like the textarea it replaces (min-height 28rem, 16rem on narrow
// screens, the breakpoint of static/style.css), grows with its content and with the pane,
// and scrolls inside itself past the height of the window.
export const layout = EditorView.theme({
  "&": {
    fontSize: ".9rem",
    border: "1px solid var(--border, #d0d7de)",
    borderRadius: "8px",
    flex: "1 1 auto",
    maxHeight: "max(28rem, calc(100vh - 8rem))",
    overflow: "hidden",
  },
  "&.cm-focused": {
    outline: "2px solid var(--accent, #0969da)",
    outlineOffset: "1px",
  },
  ".cm-scroller": {
    fontFamily: MONO,
    lineHeight: "1.45",
    overflow: "auto",
    flex: "1 1 auto",
  },
  ".cm-content, .cm-gutter": { minHeight: "calc(28rem - 2px)" },
  "@media (max-width: 800px)": {
    ".cm-content, .cm-gutter": { minHeight: "calc(16rem - 2px)" },
  },
  ".cm-content": { padding: ".5rem 0" },
  ".cm-line": { padding: "0 .65rem 0 .5rem" },
  ".cm-lineNumbers .cm-gutterElement": { padding: "0 .5rem 0 .75rem", minWidth: "2.5em" },
  ".cm-line.cm-reef-error-line": { textDecoration: "underline wavy", textDecorationSkipInk: "none", textUnderlineOffset: "3px" },
  ".cm-gutterElement.cm-reef-error-gutter": { fontWeight: "700" },
});

function chrome(c, dark) {
  return EditorView.theme({
    "&": { backgroundColor: c.bg, color: c.fg },
    ".cm-content": { caretColor: c.fg },
    ".cm-cursor, .cm-dropCursor": { borderLeftColor: c.fg },
    ".cm-gutters": { backgroundColor: c.bg, color: c.muted, border: "none", borderRight: `1px solid ${c.line}` },
    ".cm-activeLine": { backgroundColor: c.activeLine },
    ".cm-activeLineGutter": { backgroundColor: c.activeLine, color: c.fg },
    "&.cm-focused .cm-matchingBracket": { backgroundColor: c.match, outline: `1px solid ${c.matchOutline}` },
    "&.cm-focused .cm-nonmatchingBracket": { backgroundColor: c.errorBg, outline: `1px solid ${c.error}` },
    ".cm-line.cm-reef-error-line": { backgroundColor: c.errorBg, textDecorationColor: c.error },
    ".cm-gutterElement.cm-reef-error-gutter": { color: c.error, backgroundColor: c.errorBg, boxShadow: `inset 3px 0 0 ${c.error}` },
    ".cm-selectionBackground, ::selection": { backgroundColor: c.selection },
    "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground": { backgroundColor: c.selection },
    ".cm-specialChar": { color: c.error },
  }, { dark });
}

function syntax(c) {
  return syntaxHighlighting(HighlightStyle.define([
    { tag: t.typeName, color: c.type, fontWeight: "600" },
    { tag: t.keyword, color: c.keyword },
    { tag: [t.atom, t.bool, t.annotation], color: c.atom },
    { tag: t.operator, color: c.operator, fontWeight: "600" },
    { tag: [t.string, t.character], color: c.string },
    { tag: [t.number, t.color], color: c.number },
    { tag: t.lineComment, color: c.comment, fontStyle: "italic" },
    { tag: t.meta, color: c.meta },
    { tag: [t.propertyName, t.className], color: c.property },
    { tag: [t.bracket, t.punctuation], color: c.punct },
  ]));
}

// GitHub's Primer palette: each colour reads at WCAG AA contrast on its background.
const LIGHT = {
  bg: "#ffffff", fg: "#1f2328", muted: "#6e7781", line: "var(--border, #d0d7de)",
  activeLine: "#f6f8fa", selection: "#b6d7ff", match: "#dafbe1", matchOutline: "#1a7f37",
  error: "#cf222e", errorBg: "#ffebe9",
  type: "#8250df", keyword: "#cf222e", atom: "#953800", operator: "#0550ae", string: "#0a3069",
  number: "#0550ae", comment: "#6e7781", meta: "#953800", property: "#116329", punct: "#57606a",
};
const DARK = {
  bg: "#0d1117", fg: "#e6edf3", muted: "#8b949e", line: "var(--border, #30363d)",
  activeLine: "#161b22", selection: "#264f78", match: "#1f6f3a80", matchOutline: "#3fb950",
  error: "#ff7b72", errorBg: "#49020280",
  type: "#d2a8ff", keyword: "#ff7b72", atom: "#ffa657", operator: "#79c0ff", string: "#a5d6ff",
  number: "#79c0ff", comment: "#8b949e", meta: "#ffa657", property: "#7ee787", punct: "#8b949e",
};

export const lightTheme = [chrome(LIGHT, false), syntax(LIGHT)];
export const darkTheme = [chrome(DARK, true), syntax(DARK)];
