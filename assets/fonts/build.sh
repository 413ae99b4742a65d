#!/usr/bin/env bash
# Rebuilds the TTF fonts Reef ships and measures diagram text with.
#
# Output (next to this script):
#   Recursive-Regular.ttf  family "Recursive", style "Regular", wght 400
#   Recursive-Bold.ttf     family "Recursive", style "Bold",    wght 700
#   Recursive-Regular.woff2, Recursive-Bold.woff2
#                          the same fonts WOFF2-compressed, for browsers (@font-face)
#   OFL.txt                the font's license, copied from the npm package
#
# What it does:
#   1. In a fresh temp dir, downloads the pinned npm package @fontsource/recursive
#      (static Google Fonts instances of Recursive: Sans Linear, CASL=0, MONO=0,
#      slnt=0, CRSV=0.5) with `npm pack`, and checks the tarball's sha256.
#   2. Installs the pinned fontTools (+ brotli for WOFF2) into a temp virtualenv.
#   3. For weight 400 and 700: decompresses the WOFF2 unicode-range subsets
#      latin, latin-ext, vietnamese and cyrillic-ext (the last only holds U+20B4)
#      to TTF, merges them into one font with fontTools.merge, drops unreachable
#      duplicate glyphs with fontTools.subset (all codepoints and all layout
#      features kept), renames the family to "Recursive" (RIBBI Regular/Bold) and
#      marks it as sans-serif in OS/2 (sFamilyClass 8, PANOSE 2/11), and sorts
#      the merged OpenType feature lists by tag.
#   The output is byte-for-byte reproducible for the same pins (head.created
#   and head.modified are taken from the source font, not the clock).
#
# Needs: bash, npm, python3 (with venv), sha256sum. Network: npm registry, PyPI.
# Usage: assets/fonts/build.sh        (from anywhere)
set -euo pipefail

NPM_PACKAGE="@fontsource/recursive"
NPM_VERSION="5.3.0"
NPM_TARBALL_SHA256="aa68d30da2c06863930b252af0d7a06fef9b4e3c9eb543c886e540d51fdbdd7f"
FONTTOOLS_VERSION="4.68.0"
BROTLI_VERSION="1.2.1"

OUT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/reef-fonts.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

echo "==> fetching ${NPM_PACKAGE}@${NPM_VERSION}"
(cd "$WORK" && npm pack --silent "${NPM_PACKAGE}@${NPM_VERSION}" >/dev/null)
TARBALL="$(ls "$WORK"/*.tgz)"
echo "${NPM_TARBALL_SHA256}  ${TARBALL}" | sha256sum -c --quiet -
mkdir -p "$WORK/pkg"
tar -xzf "$TARBALL" -C "$WORK/pkg"
PKG="$WORK/pkg/package"

echo "==> installing fonttools==${FONTTOOLS_VERSION}"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --disable-pip-version-check \
    "fonttools==${FONTTOOLS_VERSION}" "brotli==${BROTLI_VERSION}"

echo "==> building TTFs"
"$WORK/venv/bin/python" - "$PKG/files" "$WORK" "$OUT_DIR" <<'PY'
import os
import sys

from fontTools import subset
from fontTools.merge import Merger, Options as MergeOptions
from fontTools.ttLib import TTFont

files, work, out = sys.argv[1:4]
FAMILY = "Recursive"
# latin first: on overlapping codepoints the first font's glyph wins.
SUBSETS = ["latin", "latin-ext", "vietnamese", "cyrillic-ext"]
STYLES = {400: "Regular", 700: "Bold"}

for weight, style in STYLES.items():
    parts = []
    created = None
    for name in SUBSETS:
        font = TTFont(os.path.join(files, f"recursive-{name}-{weight}-normal.woff2"))
        font.flavor = None
        if created is None:
            created = font["head"].created
        path = os.path.join(work, f"{name}-{weight}.ttf")
        font.save(path)
        parts.append(path)

    font = Merger(options=MergeOptions(drop_tables=[])).merge(parts)

    opts = subset.Options()
    opts.layout_features = ["*"]
    opts.layout_closure = True
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    opts.hinting = True
    opts.glyph_names = False
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=font.getBestCmap().keys())
    sub.subset(font)

    # The merge appends each part's features; OpenType wants FeatureList sorted by tag.
    for tag in ("GSUB", "GPOS"):
        if tag not in font:
            continue
        table = font[tag].table
        records = table.FeatureList.FeatureRecord
        order = sorted(range(len(records)), key=lambda i: records[i].FeatureTag)
        new_index = {old: new for new, old in enumerate(order)}
        table.FeatureList.FeatureRecord = [records[i] for i in order]
        for script in table.ScriptList.ScriptRecord:
            langsyses = [script.Script.DefaultLangSys] if script.Script.DefaultLangSys else []
            langsyses += [rec.LangSys for rec in script.Script.LangSysRecord]
            for langsys in langsyses:
                langsys.FeatureIndex = sorted(new_index[i] for i in langsys.FeatureIndex)
                if langsys.ReqFeatureIndex != 0xFFFF:
                    langsys.ReqFeatureIndex = new_index[langsys.ReqFeatureIndex]

    version = font["head"].fontRevision
    names = font["name"]
    for name_id in (1, 2, 3, 4, 6, 16, 17):
        names.removeNames(nameID=name_id)
    ps_name = f"{FAMILY}-{style}"
    names.setName(FAMILY, 1, 3, 1, 0x409)
    names.setName(style, 2, 3, 1, 0x409)
    names.setName(f"{version:.3f};ARRW;{ps_name}", 3, 3, 1, 0x409)
    names.setName(f"{FAMILY} {style}", 4, 3, 1, 0x409)
    names.setName(ps_name, 6, 3, 1, 0x409)

    os2 = font["OS/2"]
    os2.usWeightClass = weight
    os2.sFamilyClass = 8 << 8  # Sans Serif
    os2.panose.bFamilyType = 2  # Latin Text
    os2.panose.bSerifStyle = 11  # Normal Sans
    bold = weight >= 700
    os2.fsSelection &= ~((1 << 0) | (1 << 5) | (1 << 6))  # italic, bold, regular
    os2.fsSelection |= (1 << 5) if bold else (1 << 6)
    font["head"].macStyle = 1 if bold else 0

    # Reproducible output: the merge otherwise stamps the current time.
    font["head"].created = created
    font["head"].modified = created
    font.recalcTimestamp = False
    path = os.path.join(out, f"{ps_name}.ttf")
    font.save(path, reorderTables=True)
    font = TTFont(path)
    # Same font, WOFF2-compressed, for the browser's @font-face.
    web = TTFont(path)
    web.flavor = "woff2"
    web.recalcTimestamp = False
    web_path = os.path.join(out, f"{ps_name}.woff2")
    web.save(web_path)
    print(f"    {web_path}: {os.path.getsize(web_path)} bytes")
    print(f"    {path}: {os.path.getsize(path)} bytes, "
          f"{len(font.getGlyphOrder())} glyphs, {len(font.getBestCmap())} codepoints")
PY

cp "$PKG/LICENSE" "$OUT_DIR/OFL.txt"
echo "==> done"
