//! Labels fit their boxes in a real browser. The server measures each label with Recursive
//! and the SVG carries that font, so Chromium, which does not have it installed, draws every
//! label at the width it was measured at: no clipped class names or overflowing text.

use serde_json::Value as Json;

use crate::flows;
use crate::harness::{E2e, Js};

/// The kinds whose boxes are sized from their labels (the ones that were clipped before).
const KINDS: &[(&str, &str)] = &[
    ("class", include_str!("../../bench/corpus/class-medium.mmd")),
    ("er", include_str!("../../bench/corpus/er-medium.mmd")),
    ("state", include_str!("../../bench/corpus/state-medium.mmd")),
    (
        "flowchart",
        include_str!("../../bench/corpus/flowchart-medium.mmd"),
    ),
    ("mindmap", include_str!("../../bench/corpus/mindmap.mmd")),
    (
        "requirement",
        include_str!("../../bench/corpus/requirement.mmd"),
    ),
    ("kanban", include_str!("../../bench/corpus/kanban.mmd")),
];

/// Once the document's fonts are ready: how many HTML labels there are, which ones draw
/// wider or taller than their `foreignObject` (by more than a pixel), and whether the
/// embedded Recursive is what loaded.
const MEASURE: &str = "var done = arguments[arguments.length - 1];
document.fonts.ready.then(function () {
  var overflowing = [];
  var labels = document.querySelectorAll('foreignObject');
  labels.forEach(function (box) {
    var content = box.firstElementChild;
    if (!content || !content.textContent.trim()) { return; }
    var range = document.createRange();
    range.selectNodeContents(content);
    var text = range.getBoundingClientRect(), room = box.getBoundingClientRect();
    if (text.width > room.width + 1 || text.height > room.height + 1) {
      overflowing.push(content.textContent.trim() + ': ' + text.width.toFixed(1) + 'x' +
        text.height.toFixed(1) + ' in ' + room.width.toFixed(1) + 'x' + room.height.toFixed(1));
    }
  });
  var recursive = Array.from(document.fonts).filter(function (face) {
    return face.family.replace(/\"/g, '') === 'Recursive' && face.status === 'loaded';
  }).length;
  done({ labels: labels.length, overflowing: overflowing, recursive: recursive });
});";

#[tokio::test]
async fn labels_fit_their_boxes_in_the_browser() {
    let t = E2e::start("labels_fit_their_boxes_in_the_browser", &[]).await;
    let b = t.browser("", Js::On).await;
    for (kind, source) in KINDS {
        let id = flows::new_diagram(&b).await;
        b.js(
            "document.getElementById('source').value = arguments[0];",
            vec![Json::from(*source)],
        )
        .await;
        flows::save_with_button(&b).await;

        // The SVG opened on its own, under the CSP it is served with.
        b.goto(&format!("/d/{id}/image.svg")).await;
        let found = match b.client.execute_async(MEASURE, vec![]).await {
            Ok(found) => found,
            Err(e) => b.fail(&format!("{kind}: cannot measure: {e}")).await,
        };
        b.shot(kind).await;
        let labels = found["labels"].as_u64().unwrap_or(0);
        b.check(labels > 0, &format!("{kind}: no HTML labels in {found}"))
            .await;
        b.check(
            found["recursive"].as_u64().unwrap_or(0) >= 1,
            &format!("{kind}: the embedded Recursive did not load: {found}"),
        )
        .await;
        b.check(
            found["overflowing"].as_array().is_some_and(Vec::is_empty),
            &format!("{kind}: labels wider or taller than their boxes: {found}"),
        )
        .await;
    }
}
