//! Export from the page, for everyone: downloads named after the title (Unicode kept), Copy
//! Markdown, and Export all as a zip, for a guest.

use fantoccini::key::Key;

use crate::flows;
use crate::harness::{E2e, Js};

#[tokio::test]
async fn a_guest_downloads_copies_markdown_and_exports_everything() {
    let t = E2e::start(
        "a_guest_downloads_copies_markdown_and_exports_everything",
        &[],
    )
    .await;
    let b = t.browser("", Js::On).await;
    flows::new_diagram(&b).await;
    b.type_into("#title", "Schéma: v2").await;
    let source = "flowchart LR\n    a[Export me] --> b[Done]\n";
    flows::type_source(&b, source).await;
    flows::save_with_button(&b).await;

    // The SVG link saves a file named after the title, Unicode and all.
    b.click(
        "the SVG download",
        &b.find("#downloads a[href$='/download/svg']").await,
    )
    .await;
    let svg = b.download("Schéma- v2.svg").await;
    let svg = String::from_utf8_lossy(&svg);
    b.check(
        svg.starts_with("<svg") && svg.contains("Export me"),
        "the downloaded SVG is the diagram",
    )
    .await;
    b.click(
        "the .mmd download",
        &b.find("#downloads a[href$='/download/mmd']").await,
    )
    .await;
    let mmd = b.download("Schéma- v2.mmd").await;
    b.check(
        mmd == source.as_bytes(),
        "the .mmd file is the Mermaid text",
    )
    .await;

    // Copy Markdown, then paste it over the source: the fenced block arrives.
    b.click_button("Copy Markdown").await;
    b.wait_for(
        "the button to say Copied",
        "return document.getElementById('copy-markdown').textContent === 'Copied';",
    )
    .await;
    b.shot("copied-markdown").await;
    flows::set_caret(&b, 0).await;
    flows::send_to_source(&b, &(Key::Control + "a")).await;
    flows::send_to_source(&b, &(Key::Control + "v")).await;
    let pasted = flows::source_text(&b).await;
    b.check(
        pasted == format!("```mermaid\n{}```\n", source),
        &format!("the clipboard held the fenced block: {pasted:?}"),
    )
    .await;

    // Export all, from the list.
    b.goto("/").await;
    b.click("Export all", &b.find("a[href='/export.zip']").await)
        .await;
    let day = time::OffsetDateTime::now_utc().date();
    let zip = b.download(&format!("reef-diagrams-{day}.zip")).await;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    b.check(
        names == ["Schéma- v2.mmd"],
        &format!("the zip holds the diagram: {names:?}"),
    )
    .await;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut archive.by_index(0).unwrap(), &mut text).unwrap();
    b.check(text == source, "the zipped file is the saved text")
        .await;
    b.shot("list-with-export-all").await;
}
