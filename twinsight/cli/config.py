"""`twinsight config show`."""

from __future__ import annotations

import typer

from twinsight.cli.console import out
from twinsight.cli.options import ConfigOption
from twinsight.config import load_config

__all__ = ["config_app"]

config_app = typer.Typer(help="Check and show the twinsight.toml config.", no_args_is_help=True)


@config_app.command("show")
def config_show(config: ConfigOption = None) -> None:
    """Validate the config and print the settings in force, defaults included.

    Example: twinsight config show --config twinsight.toml
    """
    out.print_json(load_config(config).model_dump_json())
