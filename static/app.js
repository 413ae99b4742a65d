// Reef's small enhancement script: the pages work without it. It adds the live preview,
// Ctrl/Cmd+S to save, confirmation steps and copy buttons. No inline script is ever needed.
(function () {
  "use strict";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  // Forms with data-confirm ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Copies text: the Clipboard API where the page is a secure context (HTTPS, localhost),
  // else the older copy command through a scratch field (plain HTTP on a home network).
  function copyText(text) {
    var viaCommand = function () {
      var scratch = document.createElement("textarea");
      scratch.value = text;
      scratch.setAttribute("readonly", "");
      scratch.style.position = "fixed";
      scratch.style.top = "-1000px";
      document.body.appendChild(scratch);
      scratch.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(scratch);
      return Promise.resolve(ok);
    };
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, viaCommand);
    }
    return viaCommand();
  }

  // Copy buttons: <button data-copy="#id"> copy that field's value. When copying is not
  // allowed, the field is shown selected so the person can copy it by hand.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    var label = button.textContent;
    button.addEventListener("click", function () {
      var field = document.querySelector(button.getAttribute("data-copy"));
      if (!field) return;
      copyText(field.value).then(function (ok) {
        button.textContent = ok ? "Copied" : "Press Ctrl+C to copy";
        if (!ok) {
          var details = field.closest("details");
          if (details) details.open = true;
          field.focus();
          field.select();
        }
        setTimeout(function () { button.textContent = label; }, 2500);
      });
    });
  });

  var form = document.getElementById("editor-form");
  if (!form) return;
  var source = document.getElementById("source");
  var preview = document.getElementById("preview");
  var problem = document.getElementById("render-error");
  var notice = document.getElementById("render-notice");
  var saveState = document.getElementById("save-state");
  var timer = null;
  var inflight = null;
  var lastUrl = null;
  var dirty = false;
  // A dark page shows the diagram in mermaid's dark theme (unless the text picks its own):
  // the server's first picture is light, so a dark page asks for a preview at once.
  var darkPage = window.matchMedia("(prefers-color-scheme: dark)");
  // This page's previews replace each other; another tab's do not.
  var editorKey = (form.getAttribute("data-diagram") || "") + "." + Math.random().toString(36).slice(2);

  function showProblem(data) {
    var where = data.line ? "line " + data.line + (data.column ? ", column " + data.column : "") + ": " : "";
    problem.textContent = "";
    if (where) {
      var strong = document.createElement("strong");
      strong.textContent = where;
      problem.appendChild(strong);
    }
    problem.appendChild(document.createTextNode(data.message || "This diagram could not be rendered."));
    problem.classList.remove("hidden");
    if (source.reefEditor) source.reefEditor.markError(data.line || null);
    if (notice) notice.classList.add("hidden");
    // The last good preview stays, dimmed, so the layout does not jump while typing.
    preview.parentElement.classList.add("stale");
  }

  function render() {
    if (inflight) inflight.abort();
    inflight = new AbortController();
    fetch(form.getAttribute("data-preview") || "/preview", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ source: source.value, editor: editorKey, theme: darkPage.matches ? "dark" : "" }),
      signal: inflight.signal,
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) {
        return { ok: response.ok, status: response.status, retry: response.headers.get("Retry-After"), data: data };
      });
    }).then(function (result) {
      // A newer preview of this editor (another tab) replaced this one: it shows instead.
      if (result.status === 409) return;
      if (result.status === 429) {
        clearTimeout(timer);
        timer = setTimeout(render, 1000 * Math.max(1, parseInt(result.retry, 10) || 1));
      }
      if (!result.ok) { showProblem(result.data); return; }
      // The drawing's own size, for the viewer's "100%" (the SVG scales to its box).
      var box = /viewBox="\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)\s*"/.exec(result.data.svg);
      if (box) {
        preview.setAttribute("data-width", box[1]);
        preview.setAttribute("data-height", box[2]);
      }
      preview.parentElement.classList.toggle("dark-diagram", result.data.theme === "dark");
      // The SVG is shown as an image, so nothing in it can ever run as page markup.
      var url = URL.createObjectURL(new Blob([result.data.svg], { type: "image/svg+xml" }));
      preview.src = url;
      if (lastUrl) URL.revokeObjectURL(lastUrl);
      lastUrl = url;
      problem.classList.add("hidden");
      problem.textContent = "";
      if (source.reefEditor) source.reefEditor.markError(null);
      preview.parentElement.classList.remove("stale");
      if (notice) {
        var notices = result.data.notices || [];
        notice.textContent = notices.join(" ");
        notice.classList.toggle("hidden", notices.length === 0);
      }
    }).catch(function (err) {
      if (err && err.name === "AbortError") return;
      showProblem({ message: "Reef cannot be reached: the preview will catch up when it is back." });
    });
  }

  var title = document.getElementById("title");
  var version = form.querySelector('input[name="version"]');
  var saveError = document.getElementById("save-error");
  var conflict = document.getElementById("conflict");
  var saving = false;
  var saveAgain = false;

  function setState(text) {
    if (saveState) saveState.textContent = text;
  }

  // "Copy Markdown" copies the text as it is now, saved or not (the same fence rule as the
  // server's: one backtick more than the longest run inside).
  var markdown = document.getElementById("markdown");
  function updateMarkdown() {
    if (!markdown) return;
    var runs = source.value.match(/`+/g) || [];
    var longest = runs.reduce(function (n, run) { return Math.max(n, run.length); }, 0);
    var fence = new Array(Math.max(3, longest + 1) + 1).join("`");
    markdown.value = fence + "mermaid\n" + source.value.replace(/\n+$/, "") + "\n" + fence + "\n";
  }

  function changed() {
    updateMarkdown();
    dirty = true;
    setState("Unsaved changes");
    clearTimeout(timer);
    timer = setTimeout(render, 300);
  }

  // Puts text into the source, through the rich editor when it is there.
  function replaceSource(text) {
    if (source.reefEditor) source.reefEditor.setText(text);
    source.value = text;
    updateMarkdown();
  }

  // The browser tab and the delete question name the diagram as it is saved.
  function savedTitle(text) {
    document.title = text + " · Reef";
    var del = document.getElementById("delete-form");
    var question = del && del.getAttribute("data-confirm-template");
    if (question) del.setAttribute("data-confirm", question.replace("{title}", text));
  }

  function showSaveError(message) {
    saveError.textContent = message;
    saveError.classList.remove("hidden");
  }

  function diffLine(line) {
    var span = document.createElement("span");
    span.className = line.kind;
    if (line.kind === "skipped") {
      span.textContent = "… " + line.lines + " unchanged lines";
    } else {
      span.textContent = { same: " ", removed: "-", added: "+" }[line.kind] + " " + line.text;
    }
    return span;
  }

  var theirs = null;
  function showConflict(data) {
    theirs = data.current;
    showSaveError(data.message);
    document.getElementById("conflict-head").textContent = "Saved elsewhere as version " + theirs.version;
    document.getElementById("conflict-summary").textContent = data.summary || "";
    var theirTitle = document.getElementById("conflict-title");
    theirTitle.textContent = "Their title: “" + theirs.title + "”; yours: “" + title.value.trim() + "”.";
    theirTitle.hidden = theirs.title === title.value.trim();
    var pre = document.getElementById("conflict-diff");
    pre.textContent = "";
    (data.diff || []).forEach(function (line) {
      pre.appendChild(diffLine(line));
    });
    pre.hidden = !(data.diff && data.diff.length);
    conflict.hidden = false;
    setState("Not saved: conflict");
  }

  function hideConflict() {
    conflict.hidden = true;
    saveError.classList.add("hidden");
    theirs = null;
  }

  // Saves in the background: the page, the caret and the scroll stay where they are.
  function save(expected) {
    // A diagram not stored yet is created by the form itself, which then opens its editor.
    if (form.hasAttribute("data-new")) {
      // Once: a second Ctrl+S while the page is leaving would store a second copy.
      if (form.getAttribute("data-sent")) return;
      form.setAttribute("data-sent", "1");
      dirty = false;
      form.submit();
      return;
    }
    if (saving) { saveAgain = true; return; }
    saving = true;
    var sent = { title: title.value, source: source.value };
    if (expected !== undefined) version.value = expected;
    setState("Saving…");
    fetch(form.action, {
      method: "POST",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "If-Match": '"' + version.value + '"'
      },
      body: new URLSearchParams(new FormData(form)).toString(),
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      }, function () {
        return { ok: false, status: response.status, data: {} };
      });
    }).then(function (result) {
      saving = false;
      if (result.ok) {
        version.value = result.data.version;
        hideConflict();
        savedTitle(result.data.title);
        if (title.value === sent.title && source.value === sent.source) {
          dirty = false;
          setState("Saved · version " + result.data.version);
        } else {
          setState("Unsaved changes");
        }
      } else if (result.status === 409 && result.data.current) {
        showConflict(result.data);
      } else {
        setState("Not saved");
        var why = {
          403: "This page is out of date (you signed in or out in another tab). Copy your text, then reload the page.",
          404: "This diagram is no longer here: it was moved to the trash or deleted in another tab. Copy your text; the trash can restore it.",
          429: "Too many saves at once: wait a moment and save again."
        }[result.status];
        showSaveError((result.data && result.data.message) || why ||
          "Reef could not save (HTTP " + result.status + "). Your text is still here: try again, or copy it somewhere safe.");
      }
      if (saveAgain) { saveAgain = false; if (dirty && !theirs) save(); }
    }).catch(function () {
      saving = false;
      setState("Not saved");
      showSaveError("Reef cannot be reached. Your text is still here: try again when the server is back.");
    });
  }

  source.addEventListener("input", changed);
  // The rich editor (editor.js, loaded after this script) marks the line the server's
  // rendering problem is on.
  source.addEventListener("reef:editor-ready", function () {
    var line = parseInt(problem.getAttribute("data-line"), 10);
    if (line > 0 && !problem.classList.contains("hidden")) source.reefEditor.markError(line);
  });
  title.addEventListener("input", function () {
    dirty = true;
    setState("Unsaved changes");
  });

  // Tab inserts indentation instead of leaving the editor; Escape then Tab still leaves.
  var escaped = false;
  source.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { escaped = true; return; }
    if (event.key === "Tab" && !event.shiftKey && !escaped) {
      event.preventDefault();
      var start = source.selectionStart;
      source.setRangeText("    ", start, source.selectionEnd, "end");
      changed();
    }
    escaped = false;
  });

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.key === "S")) {
      event.preventDefault();
      if (theirs) { conflict.scrollIntoView({ block: "nearest" }); return; }
      save();
    }
  });

  // "Apply style" writes the chosen theme and look into the text's front matter (the server
  // does the edit, the same one the no-JS form gets); the result is an ordinary edit.
  var applyStyle = document.getElementById("apply-style");
  if (applyStyle) applyStyle.addEventListener("click", function (event) {
    event.preventDefault();
    var body = { source: source.value, theme: form.elements.theme.value, look: form.elements.look.value };
    fetch(applyStyle.getAttribute("data-endpoint"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (!result.ok) { showSaveError(result.data.message || "The style could not be applied."); return; }
      saveError.classList.add("hidden");
      if (result.data.source !== source.value) {
        replaceSource(result.data.source);
        changed();
      }
    }).catch(function () {
      showSaveError("Reef cannot be reached. Your text is still here: try again when the server is back.");
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!theirs) { save(); return; }
    // During a conflict only "Keep mine" saves: the typed text on top of the other version.
    if (event.submitter && event.submitter.id === "keep-mine") save(theirs.version);
    else conflict.scrollIntoView({ block: "nearest" });
  });

  document.getElementById("take-theirs").addEventListener("click", function (event) {
    var taken = theirs;
    if (!taken) return;
    event.preventDefault();
    title.value = taken.title;
    replaceSource(taken.source);
    version.value = taken.version;
    hideConflict();
    dirty = false;
    savedTitle(taken.title);
    setState("Saved · version " + taken.version);
    render();
  });

  if (darkPage.matches) render();
  // After the first save of a new diagram (or an import) the address says ?saved=1
  // (?imported=1); a reload should not.
  if (/[?&](saved|imported)=1/.test(window.location.search) && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname + window.location.hash);
  }
  if (darkPage.addEventListener) darkPage.addEventListener("change", function () { render(); });

  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
