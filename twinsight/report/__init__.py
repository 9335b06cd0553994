"""What twinsight shows people: every summary a command prints is rendered here.

`terminal` (capture, replay and import summaries, plain text), `spec` (`spec check`),
`store` (`store info`, `store check`) and `analysis` (`analyze`) for the terminal, the
last three as rich markup; `jsonlines` for `analyze --json`. Read-only over the events,
the store and the analysis; never imports the producers (proxy, replay). The readiness
verdict and the HTML/Markdown reports are built by the report issue.
"""
