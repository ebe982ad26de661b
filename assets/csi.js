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
    // After the server has audited the export: "png:<graph id>:<n>" saves that chart as PNG;
    // "pdf:<page>-page:<n>" opens the print dialog (print CSS lays the page out for PDF).
    saveImage: function (token) {
      if (!token) { return ""; }
      var parts = String(token).split(":");
      if (parts[0] === "pdf") { window.setTimeout(function () { window.print(); }, 50); return token; }
      var holder = document.getElementById(parts[1]);
      var plot = holder && (holder.classList.contains("js-plotly-plot") ? holder : holder.querySelector(".js-plotly-plot"));
      if (plot && window.Plotly) {
        // SVG first (a data: URL), then PNG through a canvas: the CSP allows data: images but not
        // the blob: images Plotly.downloadImage would load.
        window.Plotly.toImage(plot, {format: "svg", width: 1000, height: 560}).then(function (svgUrl) {
          var img = new Image();
          img.onload = function () {
            var canvas = document.createElement("canvas");
            canvas.width = 1000; canvas.height = 560;
            var g = canvas.getContext("2d");
            g.fillStyle = "#ffffff"; g.fillRect(0, 0, canvas.width, canvas.height);
            g.drawImage(img, 0, 0);
            var link = document.createElement("a");
            link.href = canvas.toDataURL("image/png");
            link.download = parts[1] + ".png";
            document.body.appendChild(link); link.click(); link.remove();
          };
          img.src = svgUrl;
        });
      }
      return token;
    }
  }
});

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
