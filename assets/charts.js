/* Charts drawn when they come into view, and chart data tables built when opened.
 *
 * dashboards/components/chart.py puts each figure in a `data-figure` attribute (plotly.js's
 * {data, layout, config}) and each "Show the data" table in a `data-table` attribute
 * ({caption, columns, rows}). Drawing every chart and rendering every table as React
 * components on page load cost a phone seconds of main thread (bench/README.md, "Page speed").
 * plotly.js itself is fetched the first time a chart is in view, from the URL the page's
 * <meta name="plotly-src"> gives. When a callback changes an attribute, the chart is drawn
 * again (if it is in view) and an open table is rebuilt.
 */
(function () {
  "use strict";

  var plotly = null;
  function loadPlotly() {
    if (window.Plotly) { return Promise.resolve(window.Plotly); }
    if (plotly === null) {
      plotly = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = document.querySelector('meta[name="plotly-src"]').content;
        script.onload = function () { resolve(window.Plotly); };
        script.onerror = function () { plotly = null; reject(new Error("plotly.js did not load")); };
        document.head.appendChild(script);
      });
    }
    return plotly;
  }

  // One chart a task, so a page of charts never blocks a tap for long.
  var queue = [];
  function drawNext() {
    var graph = queue.shift();
    if (graph === undefined) { return; }
    var spec = graph.getAttribute("data-figure");
    if (spec !== null && graph.isConnected && graph.dataset.drawn !== spec) {
      var figure = JSON.parse(spec);
      graph.dataset.drawn = spec;
      window.Plotly.react(graph, figure.data, figure.layout, figure.config);
    }
    if (queue.length) { setTimeout(drawNext, 0); }
  }
  function draw(graph) {
    if (queue.indexOf(graph) !== -1) { return; }
    loadPlotly().then(function () {
      queue.push(graph);
      if (queue.length === 1) { setTimeout(drawNext, 0); }
    }, function () { graph.classList.add("chart-failed"); });
  }

  var inView = new WeakSet();
  var watcher = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) { inView.add(entry.target); draw(entry.target); }
      else { inView.delete(entry.target); }
    });
  }, {rootMargin: "100px 0px"}) : null;

  function cell(tag, text, scope) {
    var element = document.createElement(tag);
    element.textContent = text === null ? "" : String(text);
    if (scope) { element.scope = scope; }
    return element;
  }
  function buildTable(details) {
    var old = details.querySelector(".chart-data-table");
    if (old) { old.remove(); }
    var spec = JSON.parse(details.getAttribute("data-table"));
    var table = document.createElement("table");
    table.className = "table table-sm data-table";
    table.appendChild(cell("caption", spec.caption));
    var head = table.createTHead().insertRow();
    spec.columns.forEach(function (name) { head.appendChild(cell("th", name, "col")); });
    var body = table.createTBody();
    spec.rows.forEach(function (values) {
      var row = body.insertRow();
      values.forEach(function (value, i) { row.appendChild(cell(i ? "td" : "th", value, i ? "" : "row")); });
    });
    var wrapper = document.createElement("div");
    wrapper.className = "table-responsive chart-data-table";
    wrapper.appendChild(table);
    details.appendChild(wrapper);
  }
  // "toggle" does not bubble; a capturing listener on the document still sees it.
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.open && details.hasAttribute("data-table") && !details.querySelector(".chart-data-table")) {
      buildTable(details);
    }
  }, true);

  function found(node, selector) {
    if (node.nodeType !== 1) { return []; }
    var all = Array.prototype.slice.call(node.querySelectorAll(selector));
    if (node.matches(selector)) { all.unshift(node); }
    return all;
  }
  // A callback that re-renders a view replaces its elements: a table that was open is opened
  // again in the new view (matched by id), so a reader keeps it while changing a filter.
  var reopen = {};
  function added(node) {
    found(node, ".chart-graph[data-figure]").forEach(function (graph) {
      if (graph.closest("#page-preview")) { return; }  // replaced by React's copy before long
      if (watcher) { watcher.observe(graph); } else { draw(graph); }
    });
    found(node, "details[data-table]").forEach(function (details) {
      if (reopen[details.id]) { details.open = true; }
    });
  }
  function removed(node) {
    found(node, ".chart-graph").forEach(function (graph) {
      if (watcher) { watcher.unobserve(graph); }
      if (window.Plotly && graph.dataset.drawn) { window.Plotly.purge(graph); delete graph.dataset.drawn; }
    });
    found(node, "details[data-table]").forEach(function (details) {
      if (details.id) { reopen[details.id] = details.open; }
    });
  }
  new MutationObserver(function (mutations) {
    mutations.forEach(function (mutation) {
      if (mutation.type === "attributes") {
        var target = mutation.target;
        if (mutation.attributeName === "data-figure" && (inView.has(target) || !watcher)) { draw(target); }
        if (mutation.attributeName === "data-table" && target.open) { buildTable(target); }
      }
      mutation.removedNodes.forEach(removed);
    });
    mutations.forEach(function (mutation) { mutation.addedNodes.forEach(added); });
  }).observe(document.documentElement, {childList: true, subtree: true,
    attributes: true, attributeFilter: ["data-figure", "data-table"]});
  added(document.documentElement);
}());
