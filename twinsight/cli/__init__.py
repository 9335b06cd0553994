"""The `twinsight` command line: wiring only, each command builds settings and calls the library.

One module per command or command group (spec, config, store, capture: proxy, sink and
mitm-addon, analyze, import, replay, example, demo); the options several share are in
`options`; `app` holds the root command and maps errors to exit codes, in one place:

    0  success
    1  a check said no (`twinsight.errors.CheckFailed`: a spec invalid, a store with
       problems, a replay the legacy never answered, `ready` says NOT READY)
    2  a usage or input error: a bad flag, a missing or unreadable file, an invalid
       config (`twinsight.errors.UserError`; typer's own usage errors too)
    3  an internal error: a bug in twinsight, reported with its traceback
    4  inconclusive: the input is fine but the evidence too thin to decide
       (`twinsight.errors.Inconclusive`: `twinsight ready` wants more exchanges)

Errors are one line on stderr, without a traceback unless `--debug` is given.
"""

from twinsight.cli.app import EXIT_BUG, app, main

__all__ = ["EXIT_BUG", "app", "main"]
