// Reef's diagram viewer: zoom, pan and full screen for a `.preview` box holding one <img>
// (on the share page, with the diagram's links laid over it: `.linked` = img + svg.link-map,
// which then moves as one),
// and Source | Preview tabs for the editor's two panes on narrow screens. Progressive
// enhancement like app.js: without this script the page is as before. The diagram stays an
// <img> (nothing in it can run) and the <img> stays the box's child (app.js marks
// `img.parentElement` stale); it is placed with a CSS transform set through the CSSOM,
// which the Content-Security-Policy allows (no style attributes, no inline styles).
(function () {
  "use strict";

  var MAX = 8;        // 800 %
  var STEP = 1.25;    // one button press or key
  var MARGIN = 12;    // px around a fitted diagram, and past an edge when panning
  var DRAG = 4;       // px a pointer moves before a press becomes a drag
  var NARROW = "(max-width: 800px)"; // style.css's breakpoint
  var count = 0;

  function button(text, label, title) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.title = title;
    return b;
  }

  function fullscreenElement() {
    return document.fullscreenElement || document.webkitFullscreenElement || null;
  }

  function enhance(box) {
    if (box.reefPreview) return box.reefPreview;
    var imgs = box.getElementsByTagName("img");
    if (imgs.length !== 1) return null;
    var img = imgs[0];
    // What moves: the img, or the img with its link areas.
    var holder = img.parentElement.tagName === "PICTURE" ? img.parentElement.parentElement : img.parentElement;
    var picture = holder !== box && holder.classList.contains("linked") ? holder : img;
    count += 1;
    if (!box.id) box.id = "preview-box-" + count;

    // The box and a bar of buttons go into a frame, which is what goes full screen. A
    // `.label` right before the box ("Preview") moves into the bar, left of the buttons.
    var frame = document.createElement("div");
    frame.className = "preview-frame";
    var bar = document.createElement("div");
    bar.className = "preview-bar";
    var label = box.previousElementSibling;
    box.parentNode.insertBefore(frame, box);
    if (label && label.classList.contains("label")) bar.appendChild(label);
    var stale = document.createElement("span");
    stale.className = "preview-stale";
    stale.textContent = "Not up to date";
    stale.title = "The text has a problem: this is the last diagram that rendered";
    bar.appendChild(stale);
    var tools = document.createElement("div");
    tools.className = "preview-toolbar";
    tools.setAttribute("role", "toolbar");
    tools.setAttribute("aria-label", "Zoom");
    tools.setAttribute("aria-controls", box.id);
    var zoomOut = button("−", "Zoom out", "Zoom out (−)");
    var level = document.createElement("span");
    level.className = "preview-level";
    var zoomIn = button("+", "Zoom in", "Zoom in (+)");
    var fitButton = button("Fit", "Fit the diagram in the box", "Fit (0)");
    var actual = button("100%", "Actual size", "Actual size (1)");
    var full = button("Full screen", "Full screen", "Full screen (F)");
    [zoomOut, level, zoomIn, fitButton, actual, full].forEach(function (el) { tools.appendChild(el); });
    bar.appendChild(tools);
    frame.appendChild(bar);
    frame.appendChild(box);

    box.classList.add("zoomable");
    box.tabIndex = 0;
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Diagram: + and − zoom, 0 fits, arrow keys move");
    img.draggable = false;
    picture.style.visibility = "hidden"; // until measured, so it never shows unplaced

    // State. In fit mode the scale follows the box and the diagram (every new render is
    // fitted again); after a manual zoom or pan the scale and position stay as they are.
    var fit = true, s = 1, x = 0, y = 0;
    var w = 0, h = 0;     // the diagram at 100 %, in CSS px (0: not measured)
    var reference = 0;    // 100 % width for SVGs without an absolute size (width="100%")
    var bw = 0, bh = 0;   // the box's inner size
    var expanded = false; // the CSS stand-in for full screen

    // The diagram's size at 100 %: data-width/data-height on the img when given, else its
    // natural size (an SVG's width and height attributes). An SVG without them (Reef's
    // renderer writes width="100%") only has a ratio; such an image fills the box's width
    // when laid out at width:auto, and 100 % then means the box's width when first seen.
    function measure() {
      bw = box.clientWidth;
      bh = box.clientHeight;
      if (!bw || !bh || !img.complete || !img.naturalWidth) return false;
      var dw = parseFloat(img.getAttribute("data-width"));
      var dh = parseFloat(img.getAttribute("data-height"));
      var st = img.style;
      if (dw > 0 && dh > 0) {
        w = dw;
        h = dh;
      } else {
        var keep = st.transform;
        st.transform = "none";
        st.width = "auto";
        st.height = "auto";
        var r = img.getBoundingClientRect();
        st.transform = keep;
        if (!r.width || !r.height) { st.width = w ? w + "px" : ""; return false; }
        if (Math.abs(r.width - bw) > 0.5) {
          w = r.width;
          h = r.height;
        } else {
          if (!reference) reference = bw;
          w = reference;
          h = reference * r.height / r.width;
        }
      }
      // Both set, with object-fit: contain in the CSS: Chrome may paint a new src once
      // before its "load" event, and it is then drawn inside the old, fitted size.
      // The share page's box takes the diagram's shape (within the CSS's bounds), so a
      // wide diagram on a phone is not a thin strip in a tall empty box.
      if (box.classList.contains("shared")) box.style.aspectRatio = (w + 2 * MARGIN) + " / " + (h + 2 * MARGIN);
      var ps = picture.style;
      ps.width = w + "px";
      ps.height = h + "px";
      if (picture !== img) {
        st.width = "100%";
        st.height = "100%";
      }
      ps.visibility = "";
      return true;
    }

    function fitScale() {
      return Math.max(0.001, Math.min(1, (bw - 2 * MARGIN) / w, (bh - 2 * MARGIN) / h));
    }

    // Smaller than the box (with its margin): centred. Larger: its edges may not come
    // further in than the margin.
    function clampAxis(pos, size, room) {
      if (size + 2 * MARGIN <= room) return (room - size) / 2;
      return Math.min(MARGIN, Math.max(room - size - MARGIN, pos));
    }

    function show() {
      if (!w || !bw) return;
      if (fit) s = fitScale();
      x = clampAxis(x, w * s, bw);
      y = clampAxis(y, h * s, bh);
      picture.style.transform = "translate(" + x + "px, " + y + "px) scale(" + s + ")";
      box.classList.toggle("can-pan", w * s + 2 * MARGIN > bw || h * s + 2 * MARGIN > bh);
      var pct = Math.round(s * 100) + "%";
      level.textContent = pct;
      level.title = fit ? "Fitted in the box: " + pct : "Zoom: " + pct;
      fitButton.setAttribute("aria-pressed", fit ? "true" : "false");
      // aria-disabled, not disabled: a focused button keeps its focus at the limit.
      zoomOut.setAttribute("aria-disabled", fit || s <= fitScale() + 1e-6 ? "true" : "false");
      zoomIn.setAttribute("aria-disabled", s >= MAX - 1e-6 ? "true" : "false");
    }

    // Zooms to scale n keeping the box point (px, py) still; the centre by default. Zooming
    // out as far as the fitted size goes back to fit mode.
    function zoomTo(n, px, py) {
      if (!w || !bw) return;
      var least = fitScale();
      n = Math.max(least, Math.min(MAX, n));
      if (px == null) { px = bw / 2; py = bh / 2; }
      x = px - (px - x) * n / s;
      y = py - (py - y) * n / s;
      s = n;
      fit = n <= least + 1e-6;
      show();
    }

    function step(factor) {
      var n = s * factor;
      if ((s < 1 && n > 1) || (s > 1 && n < 1)) n = 1; // stop at 100 % on the way
      zoomTo(n);
    }

    function setFit() {
      fit = true;
      show();
    }

    function actualSize(px, py) {
      if (!w) return;
      zoomTo(1, px, py);
      fit = false;
      show();
    }

    // Moves the diagram; leaves fit mode only if it really moved.
    function panBy(dx, dy) {
      if (!w) return false;
      var nx = clampAxis(x + dx, w * s, bw), ny = clampAxis(y + dy, h * s, bh);
      if (Math.abs(nx - x) < 0.01 && Math.abs(ny - y) < 0.01) return false;
      x = nx;
      y = ny;
      fit = false;
      show();
      return true;
    }

    function point(e) {
      var r = box.getBoundingClientRect();
      return { x: e.clientX - r.left - box.clientLeft, y: e.clientY - r.top - box.clientTop };
    }

    // A new render (app.js swaps src): measured again; fit mode fits it, a manual zoom and
    // position are kept (only clamped, so the diagram cannot be lost).
    img.addEventListener("load", function () { if (measure()) show(); });

    // The box changes size (window, full screen, a tab shown): fit again, or keep the
    // point at the centre where it was.
    function resized() {
      var ow = bw, oh = bh;
      if (!w) { if (measure()) show(); return; }
      bw = box.clientWidth;
      bh = box.clientHeight;
      if (!bw || !bh) return;
      if (!fit && ow && oh) {
        x += (bw - ow) / 2;
        y += (bh - oh) / 2;
      }
      show();
    }
    if (window.ResizeObserver) new ResizeObserver(resized).observe(box);
    else window.addEventListener("resize", resized);

    // Ctrl/Cmd+wheel and trackpad pinches (wheel events with ctrlKey) zoom at the pointer;
    // a plain wheel scrolls the page as always.
    box.addEventListener("wheel", function (e) {
      if (!(e.ctrlKey || e.metaKey) || !w) return;
      e.preventDefault();
      var d = e.deltaY * (e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1);
      if (!d) return;
      var p = point(e);
      // Small pixel deltas are a pinch or a smooth wheel: follow them; a mouse notch steps.
      var factor = e.deltaMode === 0 && Math.abs(d) < 50 ? Math.exp(-d / 100) : (d < 0 ? STEP : 1 / STEP);
      zoomTo(s * factor, p.x, p.y);
    }, { passive: false });

    // Safari's trackpad pinch (gesture events; iOS also sends pointers, handled below).
    var gestureStart = 1;
    box.addEventListener("gesturestart", function (e) {
      if (Object.keys(pointers).length) return;
      e.preventDefault();
      gestureStart = s;
    });
    box.addEventListener("gesturechange", function (e) {
      if (Object.keys(pointers).length || !w) return;
      e.preventDefault();
      var p = point(e);
      zoomTo(gestureStart * e.scale, p.x, p.y);
    });

    // Pointers (mouse, pen, touch): one drags, two pinch.
    var pointers = {}, drag = null, pinch = null;
    function startPinch() {
      var ids = Object.keys(pointers), a = pointers[ids[0]], b = pointers[ids[1]];
      pinch = {
        dist: Math.max(1, Math.hypot(a.x - b.x, a.y - b.y)),
        mx: (a.x + b.x) / 2, my: (a.y + b.y) / 2, s: s, x: x, y: y
      };
      drag = null;
    }
    box.addEventListener("pointerdown", function (e) {
      if ((e.pointerType === "mouse" && e.button !== 0) || !w) return;
      pointers[e.pointerId] = point(e);
      // A press on a link is captured only once it becomes a drag, so a click still
      // reaches the link.
      var onLink = e.target.closest && e.target.closest(".link-map a");
      if (!onLink) capture(e.pointerId);
      var n = Object.keys(pointers).length;
      if (n === 1) drag = { x: pointers[e.pointerId].x, y: pointers[e.pointerId].y, moved: false, id: e.pointerId };
      else if (n === 2) startPinch();
    });
    box.addEventListener("pointermove", function (e) {
      if (!(e.pointerId in pointers)) return;
      var p = point(e);
      pointers[e.pointerId] = p;
      var ids = Object.keys(pointers);
      if (pinch && ids.length >= 2) {
        var a = pointers[ids[0]], b = pointers[ids[1]];
        var least = fitScale();
        var n = Math.max(least, Math.min(MAX, pinch.s * Math.hypot(a.x - b.x, a.y - b.y) / pinch.dist));
        var mx = (a.x + b.x) / 2, my = (a.y + b.y) / 2;
        x = mx - (pinch.mx - pinch.x) * n / pinch.s;
        y = my - (pinch.my - pinch.y) * n / pinch.s;
        s = n;
        fit = n <= least + 1e-6;
        show();
      } else if (drag) {
        if (!drag.moved && Math.hypot(p.x - drag.x, p.y - drag.y) < DRAG) return;
        if (!drag.moved) {
          box.classList.add("grabbing");
          capture(drag.id);
          dragged = true;
        }
        drag.moved = true;
        panBy(p.x - drag.x, p.y - drag.y);
        drag.x = p.x;
        drag.y = p.y;
      }
    });
    function release(e) {
      if (!(e.pointerId in pointers)) return;
      delete pointers[e.pointerId];
      var ids = Object.keys(pointers);
      if (ids.length === 1 && pinch) {
        // One finger stays down after a pinch: it goes on dragging from where it is.
        pinch = null;
        drag = { x: pointers[ids[0]].x, y: pointers[ids[0]].y, moved: true };
      } else if (!ids.length) {
        drag = null;
        pinch = null;
        box.classList.remove("grabbing");
      }
    }
    function capture(id) {
      try { box.setPointerCapture(id); } catch (err) { /* already gone */ }
    }
    // A drag that started on a link does not follow the link when it ends.
    var dragged = false;
    box.addEventListener("pointerdown", function () { dragged = false; }, true);
    box.addEventListener("click", function (e) {
      if (dragged && e.target.closest && e.target.closest(".link-map a")) e.preventDefault();
      dragged = false;
    }, true);
    box.addEventListener("pointerup", release);
    box.addEventListener("pointercancel", release);
    box.addEventListener("dragstart", function (e) { e.preventDefault(); });

    // Double-click: from fit to 100 % at the clicked point (200 % if fitting is already
    // 100 %), from any zoom back to fit.
    box.addEventListener("dblclick", function (e) {
      if (!w) return;
      e.preventDefault();
      if (!fit) { setFit(); return; }
      var p = point(e);
      if (fitScale() >= 1) { zoomTo(2, p.x, p.y); fit = false; show(); } else actualSize(p.x, p.y);
    });

    // Full screen: the Fullscreen API on the frame; where it is missing (iPhone) or refused,
    // a fixed overlay does the same job. Escape leaves either.
    function isFull() { return fullscreenElement() === frame || expanded; }
    function sync() {
      var on = isFull();
      frame.classList.toggle("is-full", on);
      frame.classList.toggle("is-expanded", expanded);
      document.documentElement.classList.toggle("preview-expanded", expanded);
      full.textContent = on ? "Exit full screen" : "Full screen";
      full.setAttribute("aria-label", full.textContent);
      full.title = on ? "Exit full screen (Esc)" : "Full screen (F)";
    }
    function expand(on) {
      if (expanded === on) return;
      expanded = on;
      sync();
      if (on) box.focus({ preventScroll: true });
    }
    function enterFull() {
      var request = frame.requestFullscreen || frame.webkitRequestFullscreen;
      if (!request || !(document.fullscreenEnabled || document.webkitFullscreenEnabled)) { expand(true); return; }
      try {
        var done = request.call(frame);
        if (done && done.then) done.then(null, function () { expand(true); });
      } catch (err) {
        expand(true);
      }
    }
    function exitFull() {
      if (expanded) expand(false);
      if (fullscreenElement() === frame) {
        var done = (document.exitFullscreen || document.webkitExitFullscreen).call(document);
        if (done && done.then) done.then(null, function () {});
      }
    }
    function toggleFull() { if (isFull()) exitFull(); else enterFull(); }
    ["fullscreenchange", "webkitfullscreenchange"].forEach(function (type) {
      document.addEventListener(type, function () {
        sync();
        if (fullscreenElement() === frame) box.focus({ preventScroll: true });
      });
    });
    ["fullscreenerror", "webkitfullscreenerror"].forEach(function (type) {
      frame.addEventListener(type, function () { expand(true); });
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && isFull()) { e.preventDefault(); exitFull(); }
    });

    zoomOut.addEventListener("click", function () { step(1 / STEP); });
    zoomIn.addEventListener("click", function () { step(STEP); });
    fitButton.addEventListener("click", setFit);
    actual.addEventListener("click", function () { actualSize(); });
    full.addEventListener("click", toggleFull);

    // Keys, on the box or a toolbar button: + − 0 1 F; the arrows pan when the box has
    // focus and there is somewhere to go (else the page scrolls as usual).
    frame.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      var k = e.key, done = true;
      var far = e.shiftKey ? 0.5 : 0.1;
      if (k === "+" || k === "=") step(STEP);
      else if (k === "-" || k === "_" || k === "−") step(1 / STEP);
      else if (k === "0") setFit();
      else if (k === "1") actualSize();
      else if (k === "f" || k === "F") toggleFull();
      else if (e.target !== box) done = false;
      else if (k === "ArrowLeft") done = panBy(bw * far, 0);
      else if (k === "ArrowRight") done = panBy(-bw * far, 0);
      else if (k === "ArrowUp") done = panBy(0, bh * far);
      else if (k === "ArrowDown") done = panBy(0, -bh * far);
      else done = false;
      if (done) e.preventDefault();
    });

    sync();
    if (measure()) show();
    else { level.textContent = "Fit"; fitButton.setAttribute("aria-pressed", "true"); }

    box.reefPreview = {
      fit: setFit,
      actualSize: function () { actualSize(); },
      zoomIn: function () { step(STEP); },
      zoomOut: function () { step(1 / STEP); },
      zoomTo: function (scale) { zoomTo(scale); if (w) { fit = false; show(); } },
      refresh: function () { if (measure()) show(); },
      fullscreen: function (on) { if (on === false) exitFull(); else enterFull(); },
      state: function () {
        return { fit: fit, scale: s, x: x, y: y, width: w, height: h, full: isFull() };
      }
    };
    return box.reefPreview;
  }

  // Narrow screens: Source | Preview tabs over a `.panes` of two `.pane`s, one holding the
  // `.preview`; only the chosen pane shows (CSS, under 800px). Wide screens show both.
  function tabs(panes) {
    var list = Array.prototype.filter.call(panes.children, function (el) { return el.classList.contains("pane"); });
    if (list.length !== 2 || panes.reefTabs) return;
    var viewer = list[1].querySelector(".preview") ? list[1] : list[0].querySelector(".preview") ? list[0] : null;
    if (!viewer) return;
    var both = [viewer === list[0] ? list[1] : list[0], viewer];
    var mq = window.matchMedia(NARROW);
    var bar = document.createElement("div");
    bar.className = "pane-tabs";
    bar.setAttribute("role", "tablist");
    bar.setAttribute("aria-label", "Show");
    count += 1;
    var current = -1, scroll = null;
    var buttons = ["Source", "Preview"].map(function (name, i) {
      var pane = both[i];
      if (!pane.id) pane.id = "pane-" + name.toLowerCase() + "-" + count;
      var tab = document.createElement("button");
      tab.type = "button";
      tab.id = "tab-" + name.toLowerCase() + "-" + count;
      tab.className = "pane-tab";
      tab.textContent = name;
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", pane.id);
      tab.addEventListener("click", function (e) { select(i, e.detail > 0); });
      bar.appendChild(tab);
      return tab;
    });

    function roles() {
      both.forEach(function (pane, i) {
        if (mq.matches) {
          pane.setAttribute("role", "tabpanel");
          pane.setAttribute("aria-labelledby", buttons[i].id);
        } else {
          pane.removeAttribute("role");
          pane.removeAttribute("aria-labelledby");
        }
      });
    }

    // Source keeps its page scroll, so going back finds the caret where it was, and a tap
    // on it gives the editor its focus (and caret) back. Preview scrolls the page until the
    // tabs reach the top, so the box (sized to the rest of the screen) is all in view.
    function select(i, focusEditor) {
      if (i === current) return;
      if (current === 0 && mq.matches) scroll = window.pageYOffset;
      current = i;
      buttons.forEach(function (tab, j) {
        tab.setAttribute("aria-selected", j === i ? "true" : "false");
        tab.tabIndex = j === i ? 0 : -1;
        both[j].classList.toggle("tab-hidden", j !== i);
      });
      if (!mq.matches) return;
      if (i === 0 && focusEditor) {
        var field = both[0].querySelector("textarea");
        if (field && field.reefEditor) field.reefEditor.focus();
        else if (field) field.focus({ preventScroll: true });
      }
      if (i === 0 && scroll != null) window.scrollTo(0, scroll);
      else if (i === 1) window.scrollBy(0, both[1].getBoundingClientRect().top - bar.offsetHeight - 4);
    }

    bar.addEventListener("keydown", function (e) {
      var i = buttons.indexOf(e.target), next = -1;
      if (i < 0) return;
      if (e.key === "ArrowLeft" || e.key === "ArrowRight") next = 1 - i;
      else if (e.key === "Home") next = 0;
      else if (e.key === "End") next = 1;
      if (next < 0) return;
      e.preventDefault();
      select(next, false);
      buttons[next].focus();
    });

    panes.parentNode.insertBefore(bar, panes);
    panes.classList.add("tabbed");
    panes.reefTabs = { select: function (i) { select(i, false); } };
    roles();
    if (mq.addEventListener) mq.addEventListener("change", roles);
    else if (mq.addListener) mq.addListener(roles);
    select(0, false);
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll(".preview"), enhance);
    Array.prototype.forEach.call(document.querySelectorAll(".panes"), tabs);
  }

  window.ReefPreview = { enhance: enhance, tabs: tabs };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
