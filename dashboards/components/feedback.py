"""The "Was this page useful?" form at the foot of every public page.

A plain HTML form posted to /feedback (dashboards/feedback_route.py), not a Dash callback: it
needs no JavaScript of its own, and the endpoint answers with a redirect back to the page with
`?feedback=STATUS#feedback`, which the page passes to feedback_form as `status`.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, html
from dash.development.base_component import Component
from flask_wtf.csrf import generate_csrf

from appdb.feedback import MAX_COMMENT

FORM_ID = "feedback"
STATUS_ID = "feedback-status"
ACTION = "/feedback"
PAGE_CONTENT = "_pages_content"  # the id of Dash's dash.page_container content

# status -> (heading, text); "sent" is good news, the others ask the visitor to act.
MESSAGES: dict[str, tuple[str, str]] = {
    "sent": ("Thank you for your feedback",
             "It helps us improve this site. We cannot reply to messages sent with this form."),
    "limited": ("You have sent a lot of feedback in a short time",
                "Please wait a while, then try again."),
    "invalid": ("Your feedback could not be sent",
                "The form had expired. Please try again."),
    "empty": ("There was nothing to send",
              "Choose Yes or No, or tell us what is wrong or missing, then send it."),
    "too-long": ("Your message is too long",
                 f"Please shorten it to {MAX_COMMENT:,} characters or fewer and send it again."),
    "error": ("Your feedback could not be saved",
              "Something went wrong on our side. Please try again later."),
}


def feedback_form(
    page: str,
    snapshot_id: str | None,
    kpi_id: str | None = None,
    dataset_id: str | None = None,
    status: str | None = None,
) -> Component:
    """The feedback form for one page, with the message for `status` (from ?feedback=) if any."""
    hidden = {
        "page": page, "return": page, "kpi_id": kpi_id, "dataset_id": dataset_id,
        "snapshot_id": snapshot_id,
        # Signed copy of a random value kept in the visitor's session cookie (Flask-WTF).
        "csrf_token": generate_csrf(),
    }
    return html.Section(
        id=FORM_ID, className="feedback", **{"aria-labelledby": "feedback-heading"},
        children=[
            html.H2("Feedback on this page", id="feedback-heading", className="visually-hidden"),
            *_message(status),
            html.Form(method="post", action=ACTION, className="feedback-form", children=[
                *[dbc.Input(type="hidden", name=name, value=value or "")
                  for name, value in hidden.items()],
                _useful(),
                _comment(),
            ]),
        ],
    )


def focus_the_message(app: Dash) -> None:
    """After a redirect to #feedback, move focus (and so the view) to the message."""
    # The browser looks for #feedback before Dash has drawn the page, so it cannot scroll
    # there itself; focus also makes screen readers read the message out. The callback
    # watches the page container (always in the layout; the message is not), so Dash
    # reports no missing ID on pages without a message.
    app.clientside_callback(
        "function (_) { window.requestAnimationFrame(function () {"
        f"  var message = document.getElementById({STATUS_ID!r});"
        "  if (message) { message.focus(); }"
        "}); return window.dash_clientside.no_update; }",
        Output(PAGE_CONTENT, "title"),
        Input(PAGE_CONTENT, "children"),
    )


def _message(status: str | None) -> list[Component]:
    if status not in MESSAGES:
        return []
    heading, text = MESSAGES[status]
    kind = "feedback-sent" if status == "sent" else "feedback-problem"
    return [html.Div(
        id=STATUS_ID, className=f"feedback-message {kind}", role="status", tabIndex="-1",
        **{"aria-live": "polite"},
        children=[html.P(heading, className="feedback-message-heading"), html.P(text)],
    )]


def _useful() -> html.Fieldset:
    return html.Fieldset(className="feedback-useful", children=[
        html.Legend("Was this page useful?", className="feedback-legend"),
        html.Button("Yes", type="submit", name="useful", value="yes",
                    className="btn btn-outline-primary feedback-answer",
                    **{"aria-label": "Yes, this page was useful"}),
        html.Button("No", type="submit", name="useful", value="no",
                    className="btn btn-outline-primary feedback-answer",
                    **{"aria-label": "No, this page was not useful"}),
    ])


def _comment() -> html.Div:
    return html.Div(className="feedback-comment", children=[
        html.Label("Tell us what is wrong or missing (optional)", htmlFor="feedback-comment",
                   className="form-label"),
        html.P("Do not include personal information such as your name, address or phone "
               "number.", id="feedback-comment-hint", className="feedback-hint"),
        html.Textarea(id="feedback-comment", name="comment", rows=4, maxLength=MAX_COMMENT,
                      className="form-control", **{"aria-describedby": "feedback-comment-hint"}),
        html.Button("Send", type="submit", className="btn btn-primary feedback-send"),
    ])
