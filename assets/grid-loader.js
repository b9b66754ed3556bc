/* The rows grid of a dataset's page, loaded when its box comes near the screen.
 *
 * dash-ag-grid's script (1.3 MB) is left out of every page (dashboards/static_assets.py) and
 * its address put in <meta name="grid-src">. A page with a grid holds an empty `.grid-slot`
 * (dashboards/components/grid.py); when one comes within a screen of view, the script is
 * loaded and the slot's `<id>-wanted` store set, so the page's callback puts the grid in it.
 */
(function () {
  "use strict";

  var script = null;
  function loadGrid() {
    if (window.dash_ag_grid) { return Promise.resolve(); }
    if (script === null) {
      script = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = document.querySelector('meta[name="grid-src"]').content;
        tag.onload = function () { resolve(); };
        tag.onerror = function () { script = null; reject(new Error("the grid did not load")); };
        document.head.appendChild(tag);
      });
    }
    return script;
  }

  function want(slot) {
    loadGrid().then(function () {
      window.dash_clientside.set_props(slot.id + "-wanted", {data: true});
    }, function () { slot.classList.add("grid-failed"); });
  }

  var watcher = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) { watcher.unobserve(entry.target); want(entry.target); }
    });
  }, {rootMargin: "100% 0px"}) : null;

  function added(node) {
    if (node.nodeType !== 1) { return; }
    var slots = Array.prototype.slice.call(node.querySelectorAll(".grid-slot"));
    if (node.matches(".grid-slot")) { slots.unshift(node); }
    slots.forEach(function (slot) {
      if (slot.closest("#page-preview")) { return; }  // React's copy is the one to fill
      if (watcher) { watcher.observe(slot); } else { want(slot); }
    });
  }
  new MutationObserver(function (mutations) {
    mutations.forEach(function (mutation) { mutation.addedNodes.forEach(added); });
  }).observe(document.documentElement, {childList: true, subtree: true});
  added(document.documentElement);
}());
