"""From exchanges to verdicts: diff, normalize, noise, classify, cluster, explain.

A pure core (`diff`, `jsondiff`, the comparers of bodies beyond JSON in `bodies/`,
`inference`, `rules`, `noise`, `classify`, `scenarios`, `judge`, `clusters`) and around
it: `pipeline` (judge a stream of exchanges, the replica's statistical noise),
`collect` (verdicts into the store's typed rows), `incremental`
(what earlier runs judged) and `service` (`analyze_store`, the shell). It reads
exchanges and writes derived tables through `twinsight.store.Store`; it never imports
the capture side, and tells the outside world of each verdict as an
`twinsight.events.ExchangeJudged`.
"""
