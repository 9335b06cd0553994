"""What `twinsight accept` does once its flags are read: imported when it runs, so that the
command line's start-up does not load analysis."""

from __future__ import annotations

import datetime
from pathlib import Path

from twinsight.analysis.accepting import noise_compare, unexplained, wheres
from twinsight.analysis.fingerprint import resolve
from twinsight.cli.accept import Outcome
from twinsight.cli.console import out, show_text
from twinsight.cli.edits import Edit, author, commit_edit, diff_lines
from twinsight.cli.options import read_locations
from twinsight.config import DEFAULT_CONFIG_FILE, Config, load_config
from twinsight.config_edit import add_normalize, normalize_table
from twinsight.errors import UserError
from twinsight.spec import Spec, load_spec
from twinsight.spec.edit import Item, accepted_entry, add_items
from twinsight.store import ClusterRow, Derived, Store

__all__ = ["accept"]


def accept(
    as_: Outcome,
    why: str,
    clusters: list[str],
    every: bool,
    into: Path | None,
    where: tuple[Path | None, Path | None, Path | None],
    dry_run: bool,
) -> None:
    """Take `clusters` (or with `every` all still unexplained) as `as_`; `where`: the
    --store, --segments and --config given."""
    store, segments, config = where
    settings = load_config(config)
    store, segments = read_locations(settings, store, segments)
    chosen = _chosen(store, segments, clusters, every)
    if not chosen:
        out.print("no cluster is still unexplained: nothing to accept")
        return
    by, at = author(_edited(as_, into, settings, config).parent), _today()
    if as_ is Outcome.noise:
        edit = _noise_edit(_config_file(config), chosen, why, by, at)
    else:
        spec_file = _spec_file(into, settings)
        spec = load_spec(spec_file)
        if as_ is Outcome.accepted:
            edit = _accepted_edit(spec_file, spec, chosen, why, by, at)
        else:
            from twinsight.cli.accept_scenario import scenario_edit

            edit = scenario_edit(spec_file, spec, chosen, settings, store, segments, why, by, at)
    _finish(edit, dry_run)


def _chosen(
    store: Path | None, segments: Path | None, prefixes: list[str], every: bool
) -> list[ClusterRow]:
    """The clusters named (in that order), or with --all those still unexplained."""
    if every == bool(prefixes):
        raise UserError("name the clusters to accept, or give --all (not both)")
    derived = Derived.of(store, segments)
    if not derived.analysed():
        raise UserError("no analysis of this store yet: run twinsight analyze on it first")
    rows = derived.clusters()
    named = {r.fingerprint: r for r in rows if r.fingerprint}
    if every:
        with Store.open(store, segments) as opened:
            shares = [s for c in opened.candidates() for s in opened.evidence(c).clusters]
        return [named[f] for f in unexplained(rows, shares)]
    return [named[f] for f in dict.fromkeys(resolve(prefixes, named))]


def _edited(as_: Outcome, into: Path | None, settings: Config, config: Path | None) -> Path:
    if as_ is Outcome.noise:
        return _config_file(config)
    return _spec_file(into, settings)


def _config_file(config: Path | None) -> Path:
    file = config or Path(DEFAULT_CONFIG_FILE)
    if not file.is_file():
        raise UserError(f"{file}: no such config file (give --config FILE)")
    return file


def _spec_file(into: Path | None, settings: Config) -> Path:
    file = into or settings.spec
    if file is None:
        raise UserError("no spec to change: give --into FILE, or set spec in the config")
    if not file.is_file():
        raise UserError(f"{file}: no such spec file")
    return file


def _today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


def _accepted_edit(
    file: Path,
    spec: Spec,
    chosen: list[ClusterRow],
    why: str,
    by: str,
    at: datetime.date,
) -> Edit:
    have = {a.where for a in spec.accepted}
    entries = {w: c for c in chosen for w in wheres(c) if w not in have}
    items = [Item(accepted_entry(where, why, by, at)) for where in entries]
    text = file.read_text(encoding="utf-8")
    added = [f"{c.fingerprint}: accepted {where}" for where, c in entries.items()]
    return Edit(file, text, add_items(text, "accepted", items), "spec", added)


def _noise_edit(file: Path, chosen: list[ClusterRow], why: str, by: str, at: datetime.date) -> Edit:
    have = {(r.where, r.compare) for r in load_config(file).normalize}
    rules = {
        (where, noise_compare(c)): c
        for c in chosen
        for where in wheres(c)
        if (where, noise_compare(c)) not in have
    }
    tables = [normalize_table(where, compare, why, by, at) for where, compare in rules]
    text = file.read_text(encoding="utf-8")
    added = [f"{c.fingerprint}: noise {w} (compare {m})" for (w, m), c in rules.items()]
    return Edit(file, text, add_normalize(text, tables), "config", added)


def _finish(edit: Edit, dry_run: bool) -> None:
    """Print what changes and the diff; write it unless `dry_run` (after it loads)."""
    if not edit.added:
        out.print(f"{edit.file}: already there, nothing to add")
        return
    show_text(out, edit.added)
    show_text(out, diff_lines(edit))
    if dry_run:
        out.print(f"dry run: {edit.file} not written")
        return
    commit_edit(edit)
    out.print(f"wrote {edit.file}")
