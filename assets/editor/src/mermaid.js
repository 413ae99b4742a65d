// A small stream tokenizer for Mermaid, good enough for syntax highlighting.
//
// Mermaid has one grammar per diagram type, so the first significant word of the
// document (the diagram type) picks a "family" that decides which words are keywords,
// whether bracketed text after a node id is a label, and whether text after a colon is
// free text. Everything else is shared: %% comments, %%{ }%% directives, YAML front
// matter, arrows and links as operators, quoted strings, numbers and colours.
//
// Token names are @lezer/highlight tag names (see highlight.js for the colours).
import { StreamLanguage } from "@codemirror/language";

const DIAGRAMS = {
  graph: "flowchart",
  flowchart: "flowchart",
  "flowchart-elk": "flowchart",
  sequenceDiagram: "sequence",
  classDiagram: "class",
  "classDiagram-v2": "class",
  stateDiagram: "state",
  "stateDiagram-v2": "state",
  erDiagram: "er",
  gantt: "gantt",
  pie: "pie",
  mindmap: "mindmap",
  timeline: "timeline",
  gitGraph: "git",
  journey: "journey",
  quadrantChart: "quadrant",
  requirementDiagram: "requirement",
  C4Context: "c4",
  C4Container: "c4",
  C4Component: "c4",
  C4Dynamic: "c4",
  C4Deployment: "c4",
  sankey: "sankey",
  "sankey-beta": "sankey",
  xychart: "xychart",
  "xychart-beta": "xychart",
  block: "block",
  "block-beta": "block",
  packet: "packet",
  "packet-beta": "packet",
  kanban: "kanban",
  architecture: "architecture",
  "architecture-beta": "architecture",
  radar: "radar",
  "radar-beta": "radar",
  treemap: "treemap",
  "treemap-beta": "treemap",
  info: "info",
  zenuml: "zenuml",
};

const words = (s) => new Set(s.split(" "));
const COMMON = "title accTitle accDescr";

// Words that are keywords when they start a statement (the first word on a line).
const STATEMENT = {
  flowchart: words(`${COMMON} subgraph end direction class classDef style linkStyle click`),
  sequence: words(`${COMMON} participant actor boundary control entity database collections queue create destroy note Note loop alt else opt par and rect critical break option activate deactivate autonumber box end links link`),
  class: words(`${COMMON} class classDef style cssClass click callback link namespace note direction`),
  state: words(`${COMMON} state note end direction classDef class style`),
  er: words(`${COMMON} direction style classDef class`),
  gantt: words(`${COMMON} dateFormat axisFormat tickInterval todayMarker excludes includes weekday weekend inclusiveEndDates topAxis displayMode section click`),
  pie: words(COMMON),
  journey: words(`${COMMON} section`),
  timeline: words(`${COMMON} section`),
  git: words(`${COMMON} commit branch checkout switch merge cherry-pick`),
  quadrant: words(`${COMMON} x-axis y-axis quadrant-1 quadrant-2 quadrant-3 quadrant-4 classDef`),
  requirement: words(`${COMMON} requirement functionalRequirement interfaceRequirement performanceRequirement physicalRequirement designConstraint element direction style classDef class`),
  c4: words(`${COMMON} Person Person_Ext System System_Ext SystemDb SystemDb_Ext SystemQueue SystemQueue_Ext Container Container_Ext ContainerDb ContainerDb_Ext ContainerQueue ContainerQueue_Ext Component Component_Ext ComponentDb ComponentDb_Ext ComponentQueue ComponentQueue_Ext Boundary Enterprise_Boundary System_Boundary Container_Boundary Deployment_Node Node Node_L Node_R Rel BiRel Rel_U Rel_Up Rel_D Rel_Down Rel_L Rel_Left Rel_R Rel_Right Rel_Back RelIndex UpdateElementStyle UpdateRelStyle UpdateBoundaryStyle UpdateLayoutConfig AddElementTag AddRelTag`),
  sankey: words(COMMON),
  xychart: words(`${COMMON} x-axis y-axis line bar`),
  block: words(`${COMMON} block columns space end classDef class style`),
  packet: words(COMMON),
  kanban: words(COMMON),
  architecture: words(`${COMMON} group service junction`),
  radar: words(`${COMMON} axis curve max min ticks graticule showLegend`),
  treemap: words(`${COMMON} classDef class style`),
  info: words("showInfo"),
  zenuml: words(`${COMMON} if else while for try catch finally par opt loop return new`),
  mindmap: words(""),
};

// Words that are keywords anywhere on a line.
const INLINE = {
  flowchart: words("href call callback _blank _self _parent _top"),
  sequence: words("as of over left right"),
  class: words("for href call callback _blank _self _parent _top"),
  state: words("as of left right"),
  er: words("PK FK UK"),
  gantt: words("after until done active crit milestone vert"),
  pie: words("showData"),
  git: words("NORMAL REVERSE HIGHLIGHT"),
  requirement: words("contains copies derives satisfies verifies refines traces"),
  architecture: words("in"),
  xychart: words("horizontal vertical"),
};

// Text after a colon is free text (a message, a transition or relation label, an event).
const COLON_TEXT = words("sequence class state er timeline");
// A bracket right after a node id opens a label: A[Label], B(Label), C{Label}, D((Label)).
const LABELS = words("flowchart mindmap block architecture kanban");
// key: value pairs (git commit id: "x", requirement id: 1).
const PROPERTIES = words("git requirement");
// After these statement keywords the rest of the line is free text.
const REST_IS_TEXT = words("title accTitle accDescr section loop alt else opt par and critical break option dateFormat axisFormat tickInterval todayMarker excludes includes weekday weekend displayMode");

const DIRECTIONS = words("TB TD BT RL LR");

// Label openers and the closer each one expects, longest first.
const OPENERS = [
  ["(((", /\){3}/], ["([", /\]\)/], ["[(", /\)\]/], ["[[", /\]\]/], ["{{", /\}\}/],
  ["((", /\)\)/], ["[/", /[/\\]\]/], ["[\\", /[/\\]\]/], ["[", /\]/], ["(", /\)/], ["{", /\}/],
  [">", /\]/], ["|", /\|/],
];
const CLOSERS = Object.fromEntries(OPENERS.map(([open, close]) => [open, close]));

// Entity-relationship cardinalities: ||--o{  }|..|{  |o--o|
const ER_LINK = /^[|}][|o](?:--|\.\.)[|o][|{]/;
// Sequence messages: ->> -->> -> --> -x --x -) --) <<->> <<-->>
const SEQ_LINK = /^(?:<<-{1,2}>>|-{1,2}(?:>>|>|x|\)))/;
// Everything else that draws a line between two things.
const LINK = /^(?:<<-{1,2}>>|(?:<\||<<|<|\*)?(?:-\.+-|-{2,}|={2,}|\.{2,}|~{3,})[-.=]*(?:>>|\|>|>|\)|\*|[ox](?![\w]))?|-(?:>>|>|x(?![\w])|\))|<-(?!-))/;

function startState() {
  return {
    family: null, // set by the diagram type; "" when the first word was not one
    front: 0, // 0 before anything, 1 inside --- front matter ---, 2 done
    directive: false, // inside a %%{ ... }%% spanning lines
    closer: null, // key into CLOSERS while inside a bracketed label
    first: true, // at the first token of a line
    rest: false, // the rest of the line is free text
    className: false, // the next word is a class name (after :::)
    style: false, // a style/classDef/linkStyle line: key:value pairs
    afterId: -1, // end position of the last node id on this line
    attrs: false, // inside @{ key: value } on this line
  };
}

function readQuoted(stream) {
  stream.next();
  let ch;
  while ((ch = stream.next()) != null) if (ch === '"') return;
}

function token(stream, state) {
  if (stream.sol()) {
    state.first = true;
    state.rest = false;
    state.closer = null;
    state.className = false;
    state.style = false;
    state.afterId = -1;
    state.attrs = false;
  }

  if (state.directive) {
    if (stream.skipTo("}%%")) { stream.pos += 3; state.directive = false; } else stream.skipToEnd();
    return "meta";
  }

  if (stream.eatSpace()) return null;

  // YAML front matter between --- lines, before the diagram type.
  if (state.front === 0 && state.family === null && stream.sol() && stream.match(/^---\s*$/)) {
    state.front = 1;
    return "meta";
  }
  if (state.front === 1) {
    if (stream.sol() && stream.match(/^---\s*$/)) { state.front = 2; return "meta"; }
    if (stream.match(/^#.*/)) return "lineComment";
    if (stream.match(/^[\w.-]+(?=\s*:)/)) return "propertyName";
    if (stream.eat(":")) return "punctuation";
    if (stream.peek() === '"') { readQuoted(stream); return "string"; }
    if (stream.match(/^-?\d+(?:\.\d+)?\b/)) return "number";
    stream.match(/^[^"#:]+/) || stream.next();
    return "string";
  }

  if (stream.match("%%{")) {
    if (stream.skipTo("}%%")) stream.pos += 3; else { stream.skipToEnd(); state.directive = true; }
    return "meta";
  }
  if (stream.match("%%")) { stream.skipToEnd(); return "lineComment"; }

  state.front = 2;
  const first = state.first;
  state.first = false;

  if (state.closer) return label(stream, state);

  if (state.rest) {
    stream.skipToEnd();
    return "string";
  }

  const family = state.family;

  // The diagram type.
  if (family === null) {
    const m = stream.match(/^[A-Za-z][\w-]*/, false);
    const type = m && Object.prototype.hasOwnProperty.call(DIAGRAMS, m[0]) && DIAGRAMS[m[0]];
    if (type) { stream.pos += m[0].length; state.family = type; return "typeName"; }
    state.family = "";
  }

  const ch = stream.peek();

  if (ch === '"') { readQuoted(stream); return "string"; }
  if (ch === "`") { stream.next(); stream.skipTo("`") ? stream.next() : stream.skipToEnd(); return "string"; }

  if ((family === "sequence" && stream.match(SEQ_LINK)) || stream.match(ER_LINK) || stream.match(LINK)) return "operator";

  // o--o, x--x, o-- (class aggregation): an o or x glued to a link, not a node id.
  if ((ch === "o" || ch === "x") && stream.start > 0 && /\s/.test(stream.string.charAt(stream.start - 1)) &&
      stream.match(/^[ox](?=(?:--|\.\.|==))/, false)) {
    stream.next();
    stream.match(LINK);
    return "operator";
  }

  if (stream.match("[*]")) return "atom";
  if (stream.match(/^<<(?=[\w])[^>\n]*>>/)) return "annotation";
  if (stream.match(":::")) { state.className = true; return "punctuation"; }

  // A label right after a node id: A[Label], an edge label after a link: -->|Yes|.
  if (LABELS.has(family)) {
    if (ch === "|" && (family === "flowchart" || family === "block") && /\|/.test(stream.string.slice(stream.pos + 1))) {
      stream.next();
      state.closer = "|";
      return "punctuation";
    }
    if (stream.start === state.afterId || (family === "mindmap" && first)) {
      for (const [open] of OPENERS) {
        if (open !== "|" && stream.match(open)) { state.closer = open; return "bracket"; }
      }
    }
  }

  if (ch === "@" && stream.match("@{")) { state.attrs = true; return "bracket"; }
  if (state.attrs) {
    if (ch === "}") { stream.next(); state.attrs = false; return "bracket"; }
    if (ch === "'") { stream.next(); stream.skipTo("'") ? stream.next() : stream.skipToEnd(); return "string"; }
  }

  if (/[\d-]/.test(ch) && (stream.start === 0 || !/[\w.]/.test(stream.string.charAt(stream.start - 1)))) {
    if (stream.match(/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?/) ||
        stream.match(/^-?\d+(?:\.\d+)?(?:%|[A-Za-z]+)?(?![\w])/)) return "number";
  }

  if (ch === "#" && stream.match(/^#(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3,4})(?![\w])/)) return "color";
  if (ch === "#" && stream.match(/^#\w+;/)) return "character";

  if ((state.style || state.attrs) && stream.match(/^[A-Za-z_][\w-]*(?=\s*:(?!:))/)) return "propertyName";

  if (/[A-Za-z_$]/.test(ch)) {
    // Try the hyphenated form first: stateDiagram-v2, x-axis, cherry-pick, quadrant-1.
    const long = stream.match(/^[A-Za-z_$][\w$]*(?:-[\w$]+)+/, false);
    const statements = STATEMENT[family] || STATEMENT.flowchart;
    if (long && first && statements.has(long[0])) {
      stream.pos += long[0].length;
      return "keyword";
    }
    // Ids and names may hold single hyphens (LINE-ITEM, my-node), except in sequence
    // diagrams, where Alice-xBob is a message.
    const word = stream.match(family === "sequence" ? /^[A-Za-z_$][\w$]*/ : /^[A-Za-z_$][\w$]*(?:-(?=[A-Za-z0-9_$])[\w$]+)*/)[0];
    if (state.className) { state.className = false; return "className"; }
    if (state.style || state.attrs || PROPERTIES.has(family)) {
      if (/^\s*:(?!:)/.test(stream.string.slice(stream.pos))) return "propertyName";
    }
    if (first && statements.has(word)) {
      if (word === "style" || word === "classDef" || word === "linkStyle") state.style = true;
      if (REST_IS_TEXT.has(word)) state.rest = true;
      return "keyword";
    }
    if (DIRECTIONS.has(word) && family !== "mindmap") return "atom";
    if (INLINE[family] && INLINE[family].has(word)) return "keyword";
    if (word === "true" || word === "false") return "atom";
    state.afterId = stream.pos;
    return family === "mindmap" ? null : "variableName";
  }

  if (ch === ":") {
    stream.next();
    if (COLON_TEXT.has(family)) {
      stream.eatSpace();
      if (!stream.eol()) {
        // A colon's text runs to the end of the line; comments cannot follow it.
        state.rest = true;
      }
    }
    return "punctuation";
  }

  if (/[()[\]{}]/.test(ch)) { stream.next(); return "bracket"; }
  if (ch === "&" || ch === "+" || ch === "-") { stream.next(); return "operator"; }
  if (/[,;~|=<>*.\\/]/.test(ch)) { stream.next(); return "punctuation"; }

  stream.next();
  return null;
}

// Inside A[...], B(...), -->|...|: the text is a string, the closer a bracket.
function label(stream, state) {
  const closer = CLOSERS[state.closer];
  const sticky = new RegExp(closer.source, "y");
  sticky.lastIndex = stream.pos;
  if (sticky.test(stream.string)) {
    stream.pos = sticky.lastIndex;
    const wasPipe = state.closer === "|";
    state.closer = null;
    if (wasPipe) return "punctuation";
    state.afterId = stream.pos; // db(database)[Database]: a title may follow an icon
    return "bracket";
  }
  if (stream.peek() === '"') { readQuoted(stream); return "string"; }
  const rest = stream.string.slice(stream.pos);
  const at = rest.search(new RegExp(closer.source + '|"'));
  stream.pos = at < 0 ? stream.string.length : stream.pos + Math.max(at, 1);
  return "string";
}

export const mermaidLanguage = StreamLanguage.define({
  name: "mermaid",
  startState,
  token,
  languageData: {
    commentTokens: { line: "%%" },
  },
});
