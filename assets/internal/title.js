// The internal pages' tab title follows the page shown (dashboards/internal/frame.py).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    internal: {
        title: function (name) {
            if (name) {
                document.title = name + " · Internal";
            }
            return window.dash_clientside.no_update;
        }
    }
});
