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

  // Copy buttons: <button data-copy="#id">.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.querySelector(button.getAttribute("data-copy"));
      if (!field) return;
      field.select();
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
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
      body: JSON.stringify({ source: source.value, diagram: form.getAttribute("data-diagram") || "" }),
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
      // The SVG is shown as an image, so nothing in it can ever run as page markup.
      var url = URL.createObjectURL(new Blob([result.data.svg], { type: "image/svg+xml" }));
      preview.src = url;
      if (lastUrl) URL.revokeObjectURL(lastUrl);
      lastUrl = url;
      problem.classList.add("hidden");
      problem.textContent = "";
      preview.parentElement.classList.remove("stale");
      if (notice) {
        var notices = result.data.notices || [];
        notice.textContent = notices.join(" ");
        notice.classList.toggle("hidden", notices.length === 0);
      }
    }).catch(function (err) {
      if (err && err.name === "AbortError") return;
    });
  }

  function changed() {
    dirty = true;
    if (saveState) saveState.textContent = "Unsaved changes";
    clearTimeout(timer);
    timer = setTimeout(render, 300);
  }

  source.addEventListener("input", changed);
  document.getElementById("title").addEventListener("input", function () {
    dirty = true;
    if (saveState) saveState.textContent = "Unsaved changes";
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
      dirty = false;
      form.requestSubmit();
    }
  });

  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
