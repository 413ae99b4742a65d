// esbuild step of build.sh (run that instead; it installs the locked packages first).
//
// One source patch is applied while bundling: style-mod, which injects CodeMirror's CSS,
// uses a constructable stylesheet (document.adoptedStyleSheets) only inside shadow roots
// and a <style> element in a document. Reef's Content-Security-Policy (style-src 'self',
// no 'unsafe-inline', no nonce) blocks that <style> element, leaving the editor unstyled
// (and, without `white-space: pre`, turning typed spaces into U+00A0). The patch makes
// style-mod take its own shadow-root path for the document too; CSSOM stylesheets are
// not subject to CSP. The build fails if the patched line is not found.
import * as esbuild from "esbuild";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const outfile = path.resolve(here, "../../static/editor.js");

const STYLE_MOD_FROM = "if (!root.head && root.adoptedStyleSheets && win.CSSStyleSheet) {";
const STYLE_MOD_TO = "if (root.adoptedStyleSheets && win.CSSStyleSheet) {";

const adoptedStyleSheetsInDocuments = {
  name: "style-mod-adopted-stylesheets",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]style-mod[\\/]src[\\/]style-mod\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      if (source.split(STYLE_MOD_FROM).length !== 2) {
        throw new Error(`style-mod changed: expected exactly one "${STYLE_MOD_FROM}" in ${args.path}; review the CSP patch in build.mjs`);
      }
      return { contents: source.replace(STYLE_MOD_FROM, STYLE_MOD_TO), loader: "js" };
    });
  },
};

const banner =
  "/* Reef editor: built from assets/editor by build.sh, do not edit. Bundles CodeMirror 6 and Lezer " +
  "(MIT, (c) Marijn Haverbeke and others), style-mod, w3c-keyname, crelt and find-cluster-break (MIT). */";

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: ["src/editor.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  charset: "ascii",
  legalComments: "none",
  banner: { js: banner },
  outfile,
  plugins: [adoptedStyleSheetsInDocuments],
  logLevel: "warning",
  metafile: true,
});

// Make sure the patch was applied (the plugin ran on style-mod).
if (!Object.keys(result.metafile.inputs).some((p) => p.includes("style-mod"))) {
  throw new Error("style-mod is not in the bundle any more; review the CSP patch in build.mjs");
}
