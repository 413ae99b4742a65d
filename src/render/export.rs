//! What a diagram can be exported as, named once for the REST API, MCP, the pages and the
//! command-line client: the format (by its file extension) and how it is drawn.

/// An export format, named by its file extension (`{id}.svg`, `?format=png`, `--format txt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// SVG in mermaid.js's own look, or text-only with [`ExportOptions::portable`].
    Svg,
    /// PNG at [`ExportOptions::scale`] times the natural size.
    Png,
    /// A one-page PDF with vector text.
    Pdf,
    /// A Unicode text drawing, for the kinds of diagram that have one.
    Txt,
    /// The Mermaid text itself.
    Mmd,
}

impl ExportFormat {
    /// Every format, in the order the documentation lists them.
    pub const ALL: [Self; 5] = [Self::Svg, Self::Png, Self::Pdf, Self::Txt, Self::Mmd];

    /// The format a file extension names (lowercase, without the dot).
    pub fn from_ext(ext: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.ext() == ext)
    }

    /// The file extension, without the dot.
    pub fn ext(self) -> &'static str {
        match self {
            Self::Svg => "svg",
            Self::Png => "png",
            Self::Pdf => "pdf",
            Self::Txt => "txt",
            Self::Mmd => "mmd",
        }
    }

    /// The `Content-Type` the export is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Svg => "image/svg+xml",
            Self::Png => "image/png",
            Self::Pdf => "application/pdf",
            Self::Txt => "text/plain; charset=utf-8",
            Self::Mmd => "text/vnd.mermaid; charset=utf-8",
        }
    }

    /// Whether the renderer draws it (everything but the Mermaid text itself).
    pub fn is_drawing(self) -> bool {
        self != Self::Mmd
    }
}

/// How an export is drawn. Build it with [`ExportOptions::new`], which applies the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportOptions {
    scale: u8,
    portable: bool,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            scale: Self::DEFAULT_SCALE,
            portable: false,
        }
    }
}

impl ExportOptions {
    /// PNG pixel density when none is asked for.
    pub const DEFAULT_SCALE: u8 = 2;

    /// `scale`: PNG pixel density, 1 to 4 (default 2); `portable`: text-only SVG without
    /// HTML labels.
    ///
    /// # Errors
    /// A sentence for the person when `scale` is outside 1 to 4.
    pub fn new(scale: Option<u8>, portable: bool) -> Result<Self, String> {
        let scale = match scale {
            None => Self::DEFAULT_SCALE,
            Some(s) if (1..=4).contains(&s) => s,
            Some(_) => return Err(Self::SCALE_RULE.to_owned()),
        };
        Ok(Self { scale, portable })
    }

    /// The sentence given for a scale outside the rule.
    pub const SCALE_RULE: &str = "scale must be 1, 2, 3 or 4.";

    /// The options that matter for `format` (scale for PNG, portable for SVG), the others
    /// reset, so equal outputs have equal options (and cache validators).
    pub fn for_format(self, format: ExportFormat) -> Self {
        Self {
            scale: if format == ExportFormat::Png {
                self.scale
            } else {
                1
            },
            portable: format == ExportFormat::Svg && self.portable,
        }
    }

    /// PNG pixel density, 1 to 4.
    pub fn scale(self) -> u8 {
        self.scale
    }

    /// Text-only SVG.
    pub fn portable(self) -> bool {
        self.portable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip_through_their_extension() {
        for format in ExportFormat::ALL {
            assert_eq!(ExportFormat::from_ext(format.ext()), Some(format));
        }
        assert_eq!(ExportFormat::from_ext("SVG"), None);
        assert_eq!(ExportFormat::from_ext("jpg"), None);
    }

    #[test]
    fn scale_is_one_to_four_and_only_matters_for_png() {
        assert_eq!(ExportOptions::new(None, false).map(|o| o.scale()), Ok(2));
        assert!(ExportOptions::new(Some(0), false).is_err());
        assert!(ExportOptions::new(Some(5), false).is_err());
        let options = ExportOptions::new(Some(3), true).unwrap_or_default();
        assert_eq!(options.for_format(ExportFormat::Png).scale(), 3);
        assert!(!options.for_format(ExportFormat::Png).portable());
        assert_eq!(options.for_format(ExportFormat::Svg).scale(), 1);
        assert!(options.for_format(ExportFormat::Svg).portable());
    }
}
