//! A fidelity check of the renderer: one diagram or more of every kind Reef draws, and the
//! inputs that other renderers got wrong, each with facts the SVG must show (its texts, how
//! many shapes of a kind). A renderer upgrade that drops a label, an edge or a whole kind, or
//! starts refusing valid Mermaid, fails here.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::HashMap;

use common::reef_exe;
use reef::render::{RenderError, RenderSettings, Renderer};

/// What a rendered SVG says: its text (every text node, in order) and how many elements of
/// each name it has.
struct Facts {
    text: String,
    elements: HashMap<String, usize>,
}

impl Facts {
    fn of(svg: &str) -> Self {
        let doc = roxmltree::Document::parse(svg)
            .unwrap_or_else(|e| panic!("not well-formed XML ({e}):\n{svg}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let mut text = String::new();
        let mut elements = HashMap::new();
        for node in doc.descendants() {
            if node.is_element() {
                *elements
                    .entry(node.tag_name().name().to_owned())
                    .or_insert(0) += 1;
            }
            if node.has_tag_name(("http://www.w3.org/2000/svg", "text")) {
                // One SVG text element is one line however many `<tspan>`s split its words.
                let line: String = node
                    .descendants()
                    .filter(|n| n.is_text())
                    .filter_map(|n| n.text())
                    .collect();
                // SVG collapses runs of spaces when it draws text, and so does this.
                text.push_str(&line.split_whitespace().collect::<Vec<_>>().join(" "));
                text.push('\n');
            } else if node.is_text()
                && let Some(t) = node.text()
                && !node
                    .ancestors()
                    .any(|a| a.has_tag_name("style") || a.has_tag_name("text"))
            {
                text.push_str(t);
                text.push('\n');
            }
        }
        Self { text, elements }
    }

    fn count(&self, element: &str) -> usize {
        self.elements.get(element).copied().unwrap_or(0)
    }
}

/// One corpus entry: the diagram, texts its SVG must contain, and elements it must have at
/// least so many of.
struct Case {
    name: &'static str,
    source: &'static str,
    texts: &'static [&'static str],
    at_least: &'static [(&'static str, usize)],
}

const CORPUS: &[Case] = &[
    Case {
        name: "architecture",
        source: include_str!("../bench/corpus/architecture.mmd"),
        texts: &["Home lab", "Reverse proxy", "SQLite"],
        at_least: &[("path", 3)],
    },
    Case {
        name: "block",
        source: include_str!("../bench/corpus/block.mmd"),
        texts: &["Browser", "Script", "Agent", "Reef server"],
        at_least: &[("rect", 4)],
    },
    Case {
        name: "c4",
        source: include_str!("../bench/corpus/c4-context.mmd"),
        texts: &["System context of Reef", "Self-hoster", "Runs Reef at home"],
        at_least: &[("rect", 3)],
    },
    Case {
        name: "class",
        source: include_str!("../bench/corpus/class-medium.mmd"),
        texts: &["User", "+String email", "+sign_in(password) : Session"],
        at_least: &[("g", 10)],
    },
    Case {
        name: "er",
        source: include_str!("../bench/corpus/er-medium.mmd"),
        texts: &["USER", "SESSION", "signs in with", "keeps"],
        at_least: &[("path", 5)],
    },
    Case {
        name: "flowchart-large",
        source: include_str!("../bench/corpus/flowchart-large.mmd"),
        texts: &["API gateway", "Load balancer", "Identity DB"],
        at_least: &[("foreignObject", 20)],
    },
    Case {
        name: "flowchart-service-map",
        source: include_str!("../bench/corpus/flowchart-service-map.mmd"),
        texts: &["Load balancer", "MCP gateway", "enqueue", "Object store"],
        at_least: &[("foreignObject", 50)],
    },
    Case {
        name: "flowchart-medium",
        source: include_str!("../bench/corpus/flowchart-medium.mmd"),
        texts: &["Continuous integration", "cargo clippy -D warnings"],
        at_least: &[("foreignObject", 6)],
    },
    Case {
        name: "flowchart-small",
        source: include_str!("../bench/corpus/flowchart-small.mmd"),
        texts: &["Write diagram", "Valid Mermaid?", "yes", "no", "Share link"],
        at_least: &[("foreignObject", 5)],
    },
    Case {
        name: "gantt",
        source: include_str!("../bench/corpus/gantt-medium.mmd"),
        texts: &["Reef 1.0 release plan", "Storage", "Schema and migrations"],
        at_least: &[("rect", 4)],
    },
    Case {
        name: "gitgraph",
        source: include_str!("../bench/corpus/gitgraph.mmd"),
        texts: &["init", "schema", "feature/tokens", "mint"],
        at_least: &[("circle", 3)],
    },
    Case {
        name: "journey",
        source: include_str!("../bench/corpus/journey.mmd"),
        texts: &[
            "Sharing a diagram with a colleague",
            "Open the editor",
            "Fix a syntax error",
        ],
        at_least: &[("rect", 3)],
    },
    Case {
        name: "kanban",
        source: include_str!("../bench/corpus/kanban.mmd"),
        texts: &["To do", "Dark mode", "In progress", "Benchmarks"],
        at_least: &[("rect", 4)],
    },
    Case {
        name: "mindmap",
        source: include_str!("../bench/corpus/mindmap.mmd"),
        texts: &["Reef", "Editor", "Live preview", "Trash"],
        at_least: &[("path", 3)],
    },
    Case {
        name: "packet",
        source: include_str!("../bench/corpus/packet.mmd"),
        texts: &["Render worker frame", "JSON header", "Length of body"],
        at_least: &[("rect", 3)],
    },
    Case {
        name: "pie",
        source: include_str!("../bench/corpus/pie.mmd"),
        texts: &["Diagrams by kind", "Flowchart", "Sequence"],
        at_least: &[("path", 4)],
    },
    Case {
        name: "quadrant",
        source: include_str!("../bench/corpus/quadrant.mmd"),
        texts: &["Feature requests", "Low effort", "High value", "Do now"],
        at_least: &[("rect", 4)],
    },
    Case {
        name: "radar",
        source: include_str!("../bench/corpus/radar.mmd"),
        texts: &["Diagram tools compared", "Speed", "Offline", "Reef"],
        // One closed curve per entry (mermaid 12 draws them as paths).
        at_least: &[("path", 3)],
    },
    Case {
        name: "requirement",
        source: include_str!("../bench/corpus/requirement.mmd"),
        texts: &["no_lost_edit", "No acknowledged save is ever lost"],
        at_least: &[("path", 2)],
    },
    Case {
        name: "sankey",
        source: include_str!("../bench/corpus/sankey.mmd"),
        texts: &["Requests", "Healthz", "API reads", "Cache hit"],
        at_least: &[("path", 5)],
    },
    Case {
        name: "sequence-large",
        source: include_str!("../bench/corpus/sequence-large.mmd"),
        texts: &["User", "Browser", "Web app", "Authorization server"],
        at_least: &[("line", 4)],
    },
    Case {
        name: "sequence-small",
        source: include_str!("../bench/corpus/sequence-small.mmd"),
        texts: &["Script", "Reef", "PUT /api/diagrams/abc (If-Match: \"3\")"],
        at_least: &[("line", 3)],
    },
    Case {
        name: "state",
        source: include_str!("../bench/corpus/state-medium.mmd"),
        texts: &["Draft", "Saved", "Shared", "share on"],
        at_least: &[("path", 4)],
    },
    Case {
        name: "timeline",
        source: include_str!("../bench/corpus/timeline.mmd"),
        texts: &[
            "History of a diagram studio",
            "2024",
            "First prototype",
            "MCP endpoint",
        ],
        at_least: &[("line", 1)],
    },
    Case {
        name: "treemap",
        source: include_str!("../bench/corpus/treemap.mmd"),
        texts: &["Binary size", "Rendering", "HTTP"],
        at_least: &[("rect", 4)],
    },
    Case {
        name: "xychart",
        source: include_str!("../bench/corpus/xychart.mmd"),
        texts: &[],
        at_least: &[("rect", 2)],
    },
    // mermaid.js creates participants on first use, with activation shorthand, `create`,
    // and the async (`-)`) and lost (`-x`) arrows.
    Case {
        name: "sequence-undeclared-participant",
        source: "sequenceDiagram\n  participant B\n  A->>B: hi\n",
        texts: &["A", "B", "hi"],
        at_least: &[("rect", 4)],
    },
    Case {
        name: "sequence-activation-create-async-lost",
        source: "sequenceDiagram\n  A->>+B: hi\n  B-->>-A: ok\n  create participant C\n  A->>C: new\n  A-)B: async\n  A-xB: lost\n",
        texts: &["hi", "ok", "C", "new", "async", "lost"],
        at_least: &[("line", 5)],
    },
    // A `;` inside an edge label is part of the label, not a statement end.
    Case {
        name: "edge-label-with-semicolon",
        source: "flowchart LR\n  A -->|x;y| B\n",
        texts: &["A", "B", "x;y"],
        at_least: &[("foreignObject", 3)],
    },
    Case {
        name: "front-matter-title",
        source: "---\ntitle: Network at home\n---\nflowchart LR\n  modem --> router\n",
        texts: &["Network at home", "modem", "router"],
        at_least: &[],
    },
    Case {
        name: "markdown-string",
        source: "flowchart LR\n  A[\"`**bold** and *italic*`\"] --> B\n",
        texts: &["bold", "italic"],
        at_least: &[("strong", 1), ("em", 1)],
    },
    Case {
        name: "entity-codes",
        source: "flowchart LR\n  A[\"#quot;quoted#quot; #9829;\"] --> B\n",
        texts: &["\"quoted\" ♥"],
        at_least: &[],
    },
    Case {
        name: "line-breaks",
        source: "flowchart LR\n  A[\"one<br>two<br/>three<br />four\"]\n",
        texts: &["one", "two", "three", "four"],
        at_least: &[("br", 3)],
    },
    Case {
        name: "class-label",
        source: "classDiagram\n  class Animal[\"Animal with a label\"]\n  Animal <|-- Duck\n",
        texts: &["Animal with a label", "Duck"],
        at_least: &[],
    },
];

fn renderer() -> Renderer {
    Renderer::new(RenderSettings::defaults(reef_exe()))
}

#[tokio::test]
async fn every_kind_in_the_corpus_renders_with_its_labels() {
    let r = renderer();
    let mut failures = Vec::new();
    for case in CORPUS {
        let svg = match r.svg(case.source).await {
            Ok(svg) => svg,
            Err(e) => {
                failures.push(format!("{}: refused: {e}", case.name));
                continue;
            }
        };
        let facts = Facts::of(&svg);
        for text in case.texts {
            if !facts.text.contains(text) {
                failures.push(format!("{}: no text {text:?}", case.name));
            }
        }
        for (element, min) in case.at_least {
            let n = facts.count(element);
            if n < *min {
                failures.push(format!(
                    "{}: {n} <{element}>, expected at least {min}",
                    case.name
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn an_edge_label_with_a_semicolon_is_one_edge_between_two_nodes() {
    let svg = renderer()
        .svg("flowchart LR\n  A -->|x;y| B\n")
        .await
        .unwrap();
    let facts = Facts::of(&svg);
    assert!(
        !facts.text.contains("|x") && !facts.text.contains("y|"),
        "{}",
        facts.text
    );
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let class_count = |class: &str| {
        doc.descendants()
            .filter(|n| {
                n.has_tag_name(("http://www.w3.org/2000/svg", "g"))
                    && n.attribute("class")
                        .is_some_and(|c| c.split_whitespace().any(|c| c == class))
            })
            .count()
    };
    assert_eq!(class_count("node"), 2, "two nodes");
    assert_eq!(class_count("edgeLabel"), 1, "one labelled edge");
}

#[tokio::test]
async fn themes_from_directives_and_front_matter_change_the_drawing() {
    let r = renderer();
    let plain = r.svg("flowchart LR\n  A --> B\n").await.unwrap();
    for themed in [
        "%%{init: {\"theme\": \"dark\"}}%%\nflowchart LR\n  A --> B\n",
        "%%{init: {\"theme\": \"forest\"}}%%\nflowchart LR\n  A --> B\n",
        "%%{init: {\"theme\": \"neutral\"}}%%\nflowchart LR\n  A --> B\n",
        "%%{init: {\"theme\": \"base\", \"themeVariables\": {\"primaryColor\": \"#ff0000\"}}}%%\nflowchart LR\n  A --> B\n",
        "---\nconfig:\n  theme: dark\n---\nflowchart LR\n  A --> B\n",
    ] {
        let svg = r.svg(themed).await.unwrap();
        assert_ne!(*svg, *plain, "the theme changed nothing: {themed}");
        Facts::of(&svg);
    }
    let red = r
        .svg("%%{init: {\"theme\": \"base\", \"themeVariables\": {\"primaryColor\": \"#ff0000\"}}}%%\nflowchart LR\n  A --> B\n")
        .await
        .unwrap();
    assert!(
        red.to_lowercase().contains("#ff0000"),
        "themeVariables are applied"
    );
}

#[tokio::test]
async fn a_leading_byte_order_mark_is_ignored() {
    let r = renderer();
    let plain = r.svg("flowchart LR\n  A --> B\n").await.unwrap();
    let with_bom = r.svg("\u{FEFF}flowchart LR\n  A --> B\n").await.unwrap();
    assert_eq!(*plain, *with_bom);
    assert!(r.png("\u{FEFF}flowchart LR\n  A --> B\n", 1).await.is_ok());
}

#[tokio::test]
async fn noncharacters_in_a_label_still_make_well_formed_svg_and_png() {
    let r = renderer();
    for source in [
        "flowchart LR\n  A[\"\u{FFFE}\"]\n",
        "flowchart LR\n  A[\"x\u{FFFF}y\"] --> B\n",
    ] {
        let svg = r.svg(source).await.unwrap();
        Facts::of(&svg);
        let png = r.png(source, 1).await.unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    }
}

#[tokio::test]
async fn the_svg_keeps_mermaids_html_labels_in_the_xhtml_namespace() {
    let svg = renderer()
        .svg("flowchart LR\n  A[Start] --> B[Done]\n")
        .await
        .unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let labels: Vec<_> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "foreignObject")
        .collect();
    assert!(
        !labels.is_empty(),
        "labels are HTML, as mermaid.js draws them"
    );
    for label in labels {
        for child in label.children().filter(|c| c.is_element()) {
            assert_eq!(
                child.tag_name().namespace(),
                Some("http://www.w3.org/1999/xhtml"),
                "{svg}"
            );
        }
    }
}

#[tokio::test]
async fn portable_svg_has_no_html_and_keeps_the_labels() {
    let r = renderer();
    let svg = r
        .portable_svg("flowchart LR\n  A[Start] --> B[Done]\n")
        .await
        .unwrap();
    let facts = Facts::of(&svg);
    assert_eq!(facts.count("foreignObject"), 0, "{svg}");
    assert!(
        facts.text.contains("Start") && facts.text.contains("Done"),
        "{}",
        facts.text
    );
}

#[tokio::test]
async fn text_drawings_exist_for_flowcharts_and_sequences_and_say_so_otherwise() {
    let r = renderer();
    let flow = r.txt("flowchart LR\n  A -->|x;y| B\n").await.unwrap();
    assert!(
        flow.contains('A') && flow.contains("x;y") && flow.contains('│'),
        "{flow}"
    );
    let seq = r
        .txt("sequenceDiagram\n  A->>B: hi\n  B--)A: back\n")
        .await
        .unwrap();
    assert!(seq.contains("hi") && seq.contains("back"), "{seq}");
    let err = r.txt("pie\n  \"a\" : 1\n  \"b\" : 2\n").await.unwrap_err();
    assert!(matches!(err, RenderError::FormatUnavailable(_)), "{err:?}");
    assert_eq!(err.code(), "format_unavailable");
}

#[tokio::test]
async fn pdf_output_is_a_real_document() {
    let pdf = renderer()
        .pdf("flowchart LR\n  A[Start] --> B[Done]\n")
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "{:?}", &pdf[..pdf.len().min(16)]);
    assert!(pdf.len() > 500);
}

/// Where the container image (and CI) has the fallback fonts; elsewhere the glyph test says
/// what is missing instead of failing on a developer's machine.
const CJK_FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
const EMOJI_FONT: &str = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";

#[tokio::test]
async fn png_draws_cjk_and_emoji_with_real_glyphs() {
    if !(std::path::Path::new(CJK_FONT).exists() && std::path::Path::new(EMOJI_FONT).exists()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install fonts-wqy-microhei and fonts-noto-color-emoji"
        );
        eprintln!("skipped: apt-get install fonts-wqy-microhei fonts-noto-color-emoji");
        return;
    }
    let r = renderer();
    let png = |label: &'static str| {
        let r = r.clone();
        async move {
            r.png(&format!("flowchart LR\n  A[\"{label}\"]\n"), 1)
                .await
                .unwrap()
        }
    };
    // A missing glyph is drawn as the same empty box whatever the character, so two
    // different characters give byte-identical images; real glyphs differ.
    for (one, other) in [
        ("中文", "日本"),
        ("한국", "中文"),
        ("🎉", "🚀"),
        ("Ωμέγα", "Жизнь"),
    ] {
        assert_ne!(png(one).await, png(other).await, "{one} and {other}");
    }
    let tofu = [png("\u{10FFFD}").await, png("\u{10FFFC}").await];
    assert_eq!(
        tofu[0], tofu[1],
        "the check can tell: unassigned characters are both boxes"
    );
}

#[tokio::test]
async fn a_diagram_asking_for_elk_is_drawn_with_the_default_layout_and_says_so() {
    let r = renderer();
    for source in [
        "---\nconfig:\n  layout: elk\n---\nflowchart LR\n  A --> B\n",
        "flowchart-elk LR\n  A --> B\n",
        "%%{init: {\"layout\": \"elk\"}}%%\nflowchart LR\n  A --> B\n",
    ] {
        let rendered = r.svg_with_notices(source).await.unwrap();
        assert!(Facts::of(&rendered.text).text.contains('B'), "{source}");
        assert_eq!(rendered.notices.len(), 1, "{source}");
        assert!(
            rendered.notices[0].contains("ELK"),
            "{:?}",
            rendered.notices
        );
    }
    let plain = r
        .svg_with_notices("flowchart LR\n  A --> B\n")
        .await
        .unwrap();
    assert!(plain.notices.is_empty(), "{:?}", plain.notices);
}
