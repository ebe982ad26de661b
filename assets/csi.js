/* Clientside helpers for Children's Services Insight: URL state, image and PDF export.
   No data is fetched or held here: the URL carries only the validated filter state. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  csi: {
    // Write the page's (server-validated) view state to the URL without reloading the page, so
    // the view can be bookmarked and shared. pushState fires no Dash event, so nothing re-renders;
    // Back and Forward (popstate) re-render the page from the URL.
    // The navbar toggler on narrow screens: open or close the collapsed navigation.
    toggleNav: function (clicks, isOpen) {
      return clicks ? !isOpen : isOpen;
    },
    writeUrl: function (state) {
      var keys = Object.keys(state || {}).sort();
      var parts = keys.filter(function (k) { return state[k] !== null && state[k] !== ""; })
        .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(String(state[k])); });
      var search = parts.length ? "?" + parts.join("&") : "";
      if (search !== window.location.search) {
        var url = window.location.pathname + search + window.location.hash;
        if (window.location.search === "" ) { window.history.replaceState(null, "", url); }
        else { window.history.pushState(null, "", url); }
      }
      return search;
    },
    // After the server has audited a PNG export it sends {fmt, graph, n, lines}: the chart is drawn on a
    // canvas under its title, with the period, filters, data date and protection note beneath it.
    // The lines are drawn as canvas text (fillText), never parsed as markup.
    saveImage: function (token) {
      if (!token) { return ""; }
      var spec;
      try { spec = JSON.parse(token); } catch (e) { return ""; }
      var lines = Array.isArray(spec.lines) ? spec.lines.map(String) : [];
      // Pressed before the chart's first drawing (Plotly.js still loading): the image waits for it.
      csiChartDrawn(spec.graph, 15000).then(function (plot) {
        if (!plot) { return; }
        var W = 1000, H = 560, head = 48, lineH = 20;
        var wrapped = [];
        var measure = document.createElement("canvas").getContext("2d");
        measure.font = "15px sans-serif";
        lines.slice(1).forEach(function (line) {  // wrap each caption line to the image width
          var words = line.split(" "), current = "";
          words.forEach(function (word) {
            var next = current ? current + " " + word : word;
            if (measure.measureText(next).width > W - 40 && current) { wrapped.push(current); current = word; }
            else { current = next; }
          });
          if (current) { wrapped.push(current); }
        });
        var foot = 16 + wrapped.length * lineH;
        // SVG first (a data: URL), then PNG through a canvas: the CSP allows data: images but not
        // the blob: images Plotly.downloadImage would load.
        var drawn = window.csiCharts ? window.csiCharts.ready(plot) : Promise.resolve(plot);  // csi-charts.js
        drawn.then(function () {
          return window.Plotly.toImage(plot, {format: "svg", width: W, height: H});
        }).then(function (svgUrl) {
          var img = new Image();
          img.onload = function () {
            var canvas = document.createElement("canvas");
            canvas.width = W; canvas.height = head + H + foot;
            var g = canvas.getContext("2d");
            g.fillStyle = "#ffffff"; g.fillRect(0, 0, canvas.width, canvas.height);
            g.fillStyle = "#1d2433"; g.font = "bold 22px sans-serif";
            g.fillText(lines[0] || "", 20, 32);
            g.drawImage(img, 0, head);
            g.font = "15px sans-serif";
            wrapped.forEach(function (line, i) { g.fillText(line, 20, head + H + 18 + i * lineH); });
            var link = document.createElement("a");
            link.href = canvas.toDataURL("image/png");
            link.download = spec.graph + ".png";
            document.body.appendChild(link); link.click(); link.remove();
          };
          img.src = svgUrl;
        });
      });
      return token;
    }
  }
});

/* The chart inside a dcc.Graph holder once Plotly has drawn it (null if it is not drawn in `wait` ms). */
function csiChartDrawn(id, wait) {
  var started = Date.now();
  return new Promise(function (resolve) {
    (function look() {
      var holder = document.getElementById(id);
      var plot = holder && (holder.classList.contains("js-plotly-plot") ? holder : holder.querySelector(".js-plotly-plot"));
      if (plot && plot._fullLayout && window.Plotly) { resolve(plot); }
      else if (Date.now() - started > wait) { resolve(null); }
      else { window.setTimeout(look, 50); }
    })();
  });
}

// The page language for assistive technology (WCAG 3.1.1), until the HTML template sets it.
if (!document.documentElement.getAttribute("lang")) { document.documentElement.setAttribute("lang", "en-GB"); }

/* The Records grid's name cell: the child's name as TEXT (React escapes it) in a link to the record,
   made from the row's separate href field. Names come from council files: never markdown or HTML. */
var csiGridCells = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});
csiGridCells.ChildLink = function (props) {
  var text = props.value === null || props.value === undefined ? "" : String(props.value);
  var href = props.data && props.data.href;
  if (typeof href !== "string" || href.indexOf("/child?ref=") !== 0) { return text; }
  return window.React.createElement("a", {href: href}, text);
};

/* A data table row's "Filter by" / "Drill into" button carries its row in data-* attributes (no Dash
   id, so the renderer has no per-row callback inputs to track): a click (or Enter / Space) hands the
   row to the page's pick store, which the page's sync callback reads and the server validates. */
var csiPicks = 0;
document.addEventListener("click", function (event) {
  var target = event.target;
  var button = target && target.closest ? target.closest("button.csi-pick") : null;
  var dc = window.dash_clientside;
  if (!button || !dc || !dc.set_props) { return; }
  var d = button.dataset;
  csiPicks += 1;
  dc.set_props(d.page + "-pick", {data: {visual: d.visual || "", code: d.code || "", action: d.action || "",
                                         dim: d.dim || "", level: d.level || "", drill: d.drill || "", n: csiPicks}});
});

/* Keyboard focus stays where the user was: when the focused control is replaced by a re-render (a
   data table after "Filter by"), focus moves to its replacement (same id or data-focus-key) rather
   than falling back to the top of the page. Only when focus was lost that way: a click elsewhere
   leaves the old control in the page, and nothing is moved. */
(function () {
  var last = null;
  function keyOf(el) {
    if (!el || !el.getAttribute) { return null; }
    return el.getAttribute("data-focus-key") || (el.id ? "#" + el.id : null);
  }
  document.addEventListener("focusin", function (event) {
    var key = keyOf(event.target);
    last = key ? {el: event.target, key: key} : null;
  });
  new MutationObserver(function () {
    if (!last || last.el.isConnected) { return; }
    var active = document.activeElement;
    if (active && active !== document.body && active !== document.documentElement) { last = null; return; }
    var found = last.key.charAt(0) === "#" ? document.getElementById(last.key.slice(1))
      : document.querySelector('[data-focus-key="' + window.CSS.escape(last.key) + '"]');
    if (found && found !== last.el) { found.focus({preventScroll: true}); }
  }).observe(document.documentElement, {childList: true, subtree: true});
})();

/* A chart's data table is filled only while its "Show the data as a table" view is open: opening or
   closing one tells the page (its tables store) which are open, and the server fills those. */
document.addEventListener("toggle", function (event) {
  var details = event.target;
  var dc = window.dash_clientside;
  if (!details || !details.classList || !details.classList.contains("chart-data") || !dc || !dc.set_props) { return; }
  var page = details.getAttribute("data-page");
  var open = Array.prototype.map.call(
    document.querySelectorAll('details.chart-data[open][data-page="' + window.CSS.escape(page) + '"]'),
    function (d) { return d.getAttribute("data-visual"); });
  dc.set_props(page + "-tables", {data: open});
}, true);
