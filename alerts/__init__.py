"""Alerts: after each ETL run, tell the people who subscribed what went wrong.

What got worse (`changes`: KPI statuses between the run's snapshot and the one before it;
`sources`: sources that failed or are late), who hears about it (`audience`), the one digest
each of them gets (`digest`), and sending it by e-mail (`mail`) and signed webhook (`webhook`),
recorded so nothing is sent twice (`deliver`, which the pipeline calls). docs/alerts.md says
the rules.
"""
