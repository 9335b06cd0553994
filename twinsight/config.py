"""`twinsight.toml`: targets, store, redaction, normalization rules, readiness policy.

One settings object, validated as a whole by pydantic; errors name the file, the
line where the key was written and the key. Command-line flags override it.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    IPvAnyNetwork,
    ValidationError,
    field_validator,
)

from twinsight.errors import ConfigError, Location, Problem, UserError

if TYPE_CHECKING:  # the store (DuckDB, pyarrow) loads when a writer is made, not with the config
    from twinsight.store import CaptureCounters, Redactor, StoreWriter
    from twinsight.store.capturelock import Held

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "CaptureSettings",
    "Config",
    "ExploreSettings",
    "NormalizeRule",
    "RedactionSettings",
    "StoreSettings",
    "load_config",
    "store_writer",
    "write_into_store",
]

DEFAULT_CONFIG_FILE = "twinsight.toml"
DEFAULT_STORE_FILE = "twinsight.duckdb"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreSettings(_Section):
    """Where exchanges are kept: one DuckDB file, or a folder of Parquet segments."""

    path: Path | None = Field(default=None, description="DuckDB file")
    segments: Path | None = Field(default=None, description="folder of Parquet segments")
    flush_interval_s: float = Field(
        default=1.0, gt=0, description="longest a capture waits to be written"
    )
    max_backlog: int = Field(
        default=100_000, ge=1, description="exchanges waiting to be written before drops start"
    )

    def locations(self) -> tuple[Path | None, Path | None]:
        """(DuckDB file, segment folder); `twinsight.duckdb` here when neither is set."""
        if self.path is None and self.segments is None:
            return Path(DEFAULT_STORE_FILE), None
        return self.path, self.segments


class RedactionSettings(_Section):
    """Secrets replaced before anything is written (forwarded traffic is never altered)."""

    defaults: bool = Field(
        default=True,
        description="redact the built-in secret headers, query parameters, body fields and "
        "card numbers (false: only Authorization, Proxy-Authorization, Cookie, Set-Cookie "
        "and the lists below)",
    )
    headers: tuple[str, ...] = Field(default=(), description="more header names to redact")
    body_fields: tuple[str, ...] = Field(
        default=(),
        description="more body fields to redact: a name (any depth; JSON, form, multipart, XML) "
        "or a dotted JSON path from the top, e.g. user.password",
    )
    query_params: tuple[str, ...] = Field(default=(), description="more query parameters to redact")

    def redactor(self) -> Redactor:
        """The redactor these settings describe (its key comes from the environment)."""
        from twinsight.store import Redactor

        return Redactor(
            headers=self.headers,
            body_fields=self.body_fields,
            query_params=self.query_params,
            defaults=self.defaults,
        )


class CaptureSettings(_Section):
    """How the proxy and the sink capture and mirror."""

    sample: float = Field(default=1.0, ge=0, le=1, description="share of sessions mirrored")
    session_by: str = Field(
        default="header:authorization",
        pattern=r"^(header|cookie):[!#$%&'*+.^_`|~0-9A-Za-z-]+$|^client$",
        description="what keeps a session together: header:NAME, cookie:NAME or client "
        "(the client address, also the fallback when the header or cookie is absent)",
    )
    max_body: int = Field(default=1 << 20, ge=0, description="body bytes stored per message")
    mirror_timeout_s: float = Field(default=5.0, gt=0, description="per-target timeout")
    legacy_timeout_s: float = Field(
        default=60.0, gt=0, description="how long the proxy waits for the legacy"
    )
    mirror_queue: int = Field(
        default=1000, ge=1, description="mirrored exchanges in flight before drops start"
    )
    mirror_writes: bool = Field(
        default=False, description="also mirror methods other than GET, HEAD and OPTIONS"
    )
    shadow_header: str = Field(
        default="X-Twinsight-Shadow", description="marker header sent with every mirror"
    )
    shadow_host_suffix: bool = Field(
        default=False, description="append -shadow to the Host of mirrors (as Envoy does)"
    )
    correlate: bool = Field(
        default=True, description="rewrite legacy ids into the target's own in mirrors"
    )
    shutdown_grace_s: float = Field(
        default=5.0, ge=0, description="wait for in-flight mirrors at shutdown"
    )
    trust_forwarded: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="peers (addresses or CIDR networks) whose X-Forwarded-* are believed; "
        "the proxy replaces those of anyone else, the sink trusts its peer unless this is set",
    )
    client_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="close a client connection that takes longer to send a request head, "
        "or pauses longer while sending a body",
    )


class NormalizeRule(_Section):
    """How one location is compared: ignored, by shape, with tolerance, ..."""

    where: str = Field(description="[METHOD] [/path] status|headers.NAME|body.PATH")
    compare: Literal["ignore", "shape", "tolerance", "unordered", "regex", "case_insensitive"]
    tolerance: float | None = Field(default=None, ge=0)
    pattern: str | None = None
    why: str = ""
    by: str | None = None  # who added it (`twinsight accept` writes the git author)
    at: datetime.date | None = None  # when (a TOML date: 2026-11-30)


class ReadinessSettings(_Section):
    """The cutover policy `twinsight ready` judges by (README, "Is it ready?")."""

    min_samples: int = Field(
        default=300, ge=1, description="exchanges per endpoint before a verdict (default 300)"
    )
    min_match_rate: float = Field(
        default=0.999,
        gt=0,
        le=1,
        description="agreement wanted: the disagreement rate's upper bound must be at most "
        "1 - min_match_rate, per endpoint and overall (default 0.999; 1: any disagreement "
        "fails, none passes once min_samples are seen)",
    )
    confidence: float = Field(
        default=0.95,
        gt=0,
        lt=1,
        description="confidence of every bound (one-sided) and test (default 0.95)",
    )
    max_regressions: int = Field(default=0, ge=0, description="regressions tolerated (default 0)")
    max_unexplained_share: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="an unexplained cluster above this share of its endpoint fails; below it "
        "is listed (default 0.01)",
    )
    error_slack: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="rate of the candidate's own errors (where the legacy did not fail) "
        "allowed (default 0.01; 0: any fails)",
    )
    min_coverage: float = Field(
        default=0.99,
        ge=0,
        le=1,
        description="share of stored exchanges compared, and of served traffic a capture "
        "mirrored, wanted (default 0.99)",
    )
    min_scenario_samples: int = Field(
        default=30, ge=0, description="exchanges per scenario the spec binds (default 30)"
    )
    latency_increase: float = Field(
        default=0.1,
        ge=0,
        description="relative latency increase allowed before an endpoint is slower "
        "(default 0.1: 10 %)",
    )
    min_latency_samples: int = Field(
        default=30,
        ge=1,
        description="answers per target before latency is compared (default 30)",
    )

    @property
    def max_disagreement(self) -> float:
        """The highest disagreement rate allowed: 1 - min_match_rate."""
        return round(1 - self.min_match_rate, 12)


class ExploreSettings(_Section):
    """How `twinsight explore` brings both targets back to a known state between examples.

    Without either, exploration only creates its own data and deletes it afterwards."""

    reset: str | None = Field(
        default=None,
        pattern=r"^[A-Z]+ /\S*$",
        description="'METHOD /path' sent to each target (unrecorded) before each example",
    )
    reset_command: tuple[str, ...] = Field(
        default=(),
        description="a command (argv list) run once per target before each example, with "
        "TWINSIGHT_TARGET and TWINSIGHT_TARGET_URL in its environment",
    )


class Config(_Section):
    """Everything `twinsight.toml` may set; every field has a working default."""

    targets: dict[str, HttpUrl] = Field(default_factory=dict, description="name -> base URL")
    spec: Path | None = None
    store: StoreSettings = StoreSettings()
    redaction: RedactionSettings = RedactionSettings()
    capture: CaptureSettings = CaptureSettings()
    normalize: tuple[NormalizeRule, ...] = ()
    readiness: ReadinessSettings = ReadinessSettings()
    explore: ExploreSettings = ExploreSettings()

    @field_validator("targets")
    @classmethod
    def _target_names(cls, targets: dict[str, HttpUrl]) -> dict[str, HttpUrl]:
        for name in targets:
            if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
                raise ValueError(f"target name {name!r} must be lower-case letters, digits, - or _")
        return targets

    def with_overrides(self, **changes: Any) -> Config:
        """A copy with flag values applied; None means "flag not given".

        A dict value overrides fields of that section: `capture={"sample": 0.5}`.
        """
        current = self.model_dump()
        given: dict[str, Any] = {}
        for key, value in changes.items():
            if isinstance(value, dict):
                fields = {k: v for k, v in value.items() if v is not None}
                if fields:
                    given[key] = {**current[key], **fields}
            elif value is not None:
                given[key] = value
        if not given:
            return self
        try:
            return self.model_validate({**current, **given})
        except ValidationError as exc:
            raise ConfigError([_flag_problem(e) for e in exc.errors(include_url=False)]) from None


def load_config(path: str | Path | None) -> Config:
    """Read `path`, or `twinsight.toml` in the working folder if present, else defaults."""
    if path is None:
        default = Path(DEFAULT_CONFIG_FILE)
        if not default.exists():
            return Config()
        path = default
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError([Problem(Location(str(file)), "no such config file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(Location(str(file)), f"cannot read: {exc}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            [Problem(_decode_location(str(file), str(exc)), f"TOML error: {exc}")]
        ) from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            [_problem(str(file), text, e) for e in exc.errors(include_url=False)]
        ) from None


def _flag_problem(error: Any) -> Problem:
    dotted = ".".join(str(part) for part in error["loc"])
    return Problem(Location("command line"), f"{dotted}: {error['msg']}")


def _decode_location(file: str, message: str) -> Location:
    found = re.search(r"line (\d+), column (\d+)", message)
    return Location(file, int(found.group(1)), int(found.group(2))) if found else Location(file)


def _problem(file: str, text: str, error: Any) -> Problem:
    keys = [str(part) for part in error["loc"] if not isinstance(part, int)]
    dotted = ".".join(keys) or "top level"
    message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
    return Problem(Location(file, _line_of(text, keys), 1), f"{dotted}: {message}")


def _line_of(text: str, keys: list[str]) -> int:
    """Best-effort line of a dotted key: its `[table]` header, then `key =` after it."""
    lines = text.splitlines()
    start = 0
    for depth in range(len(keys) - 1, 0, -1):
        header = re.compile(r"^\s*\[\[?\s*" + re.escape(".".join(keys[:depth])) + r"\s*\]\]?\s*$")
        found = next((i for i, line in enumerate(lines) if header.match(line)), None)
        if found is not None:
            start = found
            break
    key = re.compile(r"^\s*\"?" + re.escape(keys[-1] if keys else "") + r"\"?\s*=")
    for index in range(start, len(lines)):
        if key.match(lines[index]):
            return index + 1
    return start + 1 if start else 0


def store_writer(config: Config, counters: CaptureCounters | None = None) -> StoreWriter:
    """A started writer to the store `config` names, redacting as `[redaction]` says, bodies
    cut at `max_body`, flushed and bounded as `[store]` says."""
    from twinsight.store import open_writer

    return open_writer(
        *config.store.locations(),
        redactor=config.redaction.redactor(),
        counters=counters,
        max_body=config.capture.max_body,
        flush_interval=config.store.flush_interval_s,
        max_backlog=config.store.max_backlog,
    )


T = TypeVar("T")


def write_into_store(config: Config, run: Callable[[Config, Held | None], T]) -> T:
    """`run` given the settings it writes with and the lock it holds: `--segments DIR` as
    given (no lock); for `--store FILE`, the segment folder beside FILE, locked for the run
    and absorbed into FILE before and after (`store.beside`)."""
    path, segments = config.store.locations()
    if segments is not None:  # no store file: the segments stay where they are written
        return run(config, None)
    if path is None:  # locations() gives a file when it gives no folder
        raise UserError("no store given: pass --store FILE or --segments DIR")
    from twinsight.store.beside import write_beside

    return write_beside(path, lambda held: run(_with_segments(config, held.folder), held))


def _with_segments(config: Config, folder: Path) -> Config:
    """`config` with its store the segment folder `folder` alone."""
    store = config.store.model_copy(update={"path": None, "segments": folder})
    return config.model_copy(update={"store": store})
