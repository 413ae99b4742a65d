//! Static assets embedded in the binary under content-hashed names (`style.1a2b3c4d.css`), so
//! browsers may cache them forever. The pages link them with [`url`]; `web` serves them.

use std::collections::HashMap;
use std::sync::LazyLock;

use include_dir::{Dir, include_dir};

static STATIC: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/static");

/// An embedded file.
pub struct Asset {
    url: &'static str,
    /// The file's bytes as embedded.
    pub body: &'static [u8],
    /// Picked by extension, with `charset=utf-8` for CSS and JavaScript.
    pub content_type: &'static str,
}

struct Assets {
    by_name: HashMap<&'static str, Asset>,
    by_hashed: HashMap<&'static str, &'static str>,
}

static ASSETS: LazyLock<Assets> = LazyLock::new(|| {
    let mut by_name = HashMap::new();
    let mut by_hashed = HashMap::new();
    for file in STATIC.files() {
        let Some(name) = file.path().to_str() else {
            continue;
        };
        let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
        let hash = hex::encode(&crate::secret::sha256(file.contents())[..6]);
        let hashed: &'static str = Box::leak(format!("{stem}.{hash}.{ext}").into_boxed_str());
        let url: &'static str = Box::leak(format!("/static/{hashed}").into_boxed_str());
        let content_type = match ext {
            "css" => "text/css; charset=utf-8",
            "js" => "text/javascript; charset=utf-8",
            "svg" => "image/svg+xml",
            "png" => "image/png",
            "ico" => "image/x-icon",
            _ => "application/octet-stream",
        };
        by_hashed.insert(hashed, name);
        by_name.insert(
            name,
            Asset {
                url,
                body: file.contents(),
                content_type,
            },
        );
    }
    Assets { by_name, by_hashed }
});

/// The cache-busting URL of an embedded asset, e.g. `url("style.css")` gives
/// `/static/style.1a2b3c4d.css`; an unknown name gives `/static/missing`, which answers 404.
pub fn url(name: &str) -> &'static str {
    ASSETS
        .by_name
        .get(name)
        .map(|a| a.url)
        .unwrap_or("/static/missing")
}

/// The asset behind a content-hashed file name (`style.1a2b3c4d.css`); None for any other
/// name, including the unhashed one.
pub fn by_hashed_name(file: &str) -> Option<&'static Asset> {
    ASSETS
        .by_hashed
        .get(file)
        .and_then(|name| ASSETS.by_name.get(name))
}
