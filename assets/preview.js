/* The server's preview of the page (dashboards/prerender.py) gives way to React's copy.
 *
 * The preview is painted at once; React's copy is rendered, hidden, into #react-entry-point.
 * When the page's content is in it, the preview is removed in the same task, so the browser
 * never paints a page without one or the other, and nothing moves: both are laid out alike.
 * What a reader did in the preview comes along: a select they changed (which then updates the
 * page as any change does), text they typed, and the focus.
 */
(function () {
  "use strict";
  var preview = document.getElementById("page-preview");
  var root = document.getElementById("react-entry-point");
  if (!preview || !root) { return; }

  function changedFields() {
    var changed = [];
    preview.querySelectorAll("select[id], textarea[id], input[id]").forEach(function (field) {
      var initial = field.tagName === "SELECT"
        ? Array.prototype.filter.call(field.options, function (o) { return o.defaultSelected; })
        : null;
      var before = initial === null ? field.defaultValue : (initial.length ? initial[0].value : "");
      if (field.type !== "hidden" && field.value !== before) {
        changed.push({id: field.id, value: field.value, select: field.tagName === "SELECT"});
      }
    });
    return changed;
  }

  function carryOver(changed) {
    changed.forEach(function (field) {
      var element = document.getElementById(field.id);
      if (!element) { return; }
      if (field.select) {
        window.dash_clientside.set_props(field.id, {value: field.value});
      } else {
        // React's own input handler picks the text up, as if it had been typed here.
        var setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(element), "value").set;
        setter.call(element, field.value);
        element.dispatchEvent(new Event("input", {bubbles: true}));
      }
    });
  }

  var observer = new MutationObserver(function () {
    var content = root.querySelector("#_pages_content");
    if (!content || !content.firstElementChild) { return; }
    observer.disconnect();
    var focused = preview.contains(document.activeElement) ? document.activeElement.id : "";
    var changed = changedFields();
    preview.remove();
    carryOver(changed);
    var again = focused && document.getElementById(focused);
    if (again) { again.focus(); }
  });
  observer.observe(root, {childList: true, subtree: true});
}());
