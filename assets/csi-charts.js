/* Charts out of view are drawn when they come into view, not on every slicer change.

   A slicer change sends every chart of the page its new figure, and dcc.Graph hands each one to
   Plotly.react at once: 15-30 ms of the browser's time per chart, most of a change's wait on a page
   of nine charts, though a screen shows one or two of them. Here Plotly.react (wrapped when Dash
   loads Plotly.js, which sets window.Plotly) redraws a chart at once only if it is in view or within
   MARGIN of it. A chart further away keeps its newest figure, undrawn, until it scrolls near (an
   IntersectionObserver), and draws it before the person sees it; until then its element carries
   data-csi-undrawn. Printing, and a PNG export (window.csiCharts.ready), draw it first.
   A chart's first drawing is never put off: dcc.Graph binds its click events once that is done.
   Nothing is fetched or held here beyond the figure the page already has. */
(function () {
  "use strict";
  var MARGIN = 200;  // px above and below the screen within which a chart draws at once
  var jobs = new Map();  // chart element -> the arguments of its newest undrawn Plotly.react
  var seen = new WeakMap();  // chart element -> in view (or within MARGIN) at the last observation
  var react = null;  // Plotly's own react
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      seen.set(entry.target, entry.isIntersecting);
      if (entry.isIntersecting) { draw(entry.target); }
    });
  }, {rootMargin: MARGIN + "px 0px"}) : null;

  function inView(gd) {
    if (!seen.has(gd)) {  // not yet observed: measure it once, then let the observer keep it current
      var r = gd.getBoundingClientRect();
      var h = window.innerHeight || document.documentElement.clientHeight;
      seen.set(gd, r.width > 0 && r.bottom >= -MARGIN && r.top <= h + MARGIN);
      observer.observe(gd);
    }
    return seen.get(gd);
  }

  function draw(gd) {
    var args = jobs.get(gd);
    if (!args) { return Promise.resolve(gd); }
    jobs.delete(gd);
    gd.removeAttribute("data-csi-undrawn");
    return Promise.resolve(react.apply(window.Plotly, args));
  }

  function prune() {  // charts that left the page (another page opened): forget them
    jobs.forEach(function (args, el) {
      if (!el.isConnected) { jobs.delete(el); observer.unobserve(el); }
    });
  }

  function lazyReact(gd) {
    if (jobs.size) { prune(); }
    if (!observer || !gd || gd.nodeType !== 1 || !gd._fullLayout || !gd.isConnected || inView(gd)) {
      if (jobs.delete(gd)) { gd.removeAttribute("data-csi-undrawn"); }  // this newer figure replaces it
      return react.apply(this, arguments);
    }
    jobs.set(gd, Array.prototype.slice.call(arguments));
    gd.setAttribute("data-csi-undrawn", "");
    return Promise.resolve(gd);
  }

  // dcc.Graph asks Plotly to fit each chart to its box after the chart's first drawing; Plotly waits
  // 100 ms (a debounce), then lays the chart out again, though its box has not changed (the figure
  // gives its height; the width is the box's). Answered at once when the size would stay the same.
  function fitResize(resize) {
    return function (gd) {
      var el = typeof gd === "string" ? document.getElementById(gd) : gd;
      var full = el && el.nodeType === 1 && el.isConnected ? el._fullLayout : null;
      if (full) {
        var style = window.getComputedStyle(el);
        if (Math.abs(parseFloat(style.width) - full.width) <= 1 && Math.abs(parseFloat(style.height) - full.height) <= 1) {
          return Promise.resolve(el);
        }
      }
      return resize.apply(this, arguments);
    };
  }

  function wrap(plotly) {
    if (plotly && typeof plotly.react === "function" && !plotly.csiLazy) {
      react = plotly.react;
      plotly.react = lazyReact;
      if (plotly.Plots && typeof plotly.Plots.resize === "function") {
        plotly.Plots.resize = fitResize(plotly.Plots.resize);
      }
      plotly.csiLazy = true;
    }
    return plotly;
  }

  var current = wrap(window.Plotly);
  try {
    Object.defineProperty(window, "Plotly", {configurable: true, enumerable: true,
      get: function () { return current; }, set: function (value) { current = wrap(value); }});
  } catch (e) { /* Plotly.js already fixed in place: charts draw at once, as without this file */ }

  function drawAll() { Array.from(jobs.keys()).forEach(draw); }
  window.addEventListener("beforeprint", drawAll);
  window.csiCharts = {
    ready: function (gd) { return draw(gd).then(function () { return gd; }); },  // drawn with its newest figure
    drawAll: drawAll,
    waiting: function () { return jobs.size; }
  };
})();
