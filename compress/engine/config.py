"""The engine's ``key: value`` configuration file, as an ordered, lossless model.

The engine (and the original's configs and result dumps) use one ``key: value`` pair per line.
Users have folders written by the original, so a config is read and written back without losing
anything: key order is kept and keys this code does not know (``stdout``, ``best_solution``,
future engine keys) are preserved. Two keys, ``start_run`` and ``start_generation``, are refused
by the engine inside a file, so they live in a separate command-line-only set and are only ever
passed as flags.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from compress.atomic import write_text_atomic
from compress.engine.description import engine_description
from compress.errors import CompressError

CLI_ONLY_KEYS = frozenset(k.name for k in engine_description().keys if k.command_line_only)
"""Keys the engine rejects inside a config file (``start_run``, ``start_generation``); they
travel as command-line flags only."""

PYTHON_ONLY_KEYS = frozenset({"stdout", "stderr"})
"""Keys only the Python side reads (log file names); never turned into engine flags."""

Value = int | float | str


def parse_value(text: str) -> Value:
    """``"5"`` -> 5, ``"0.15"`` -> 0.15, anything else stays a string (as the original did)."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def format_value(value: Value) -> str:
    """The text written for a value; floats use ``repr`` so they read back identically."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def key_to_flag(key: str) -> str:
    """``mse_threshold`` -> ``--mse-threshold`` (the engine's long flag)."""
    return "--" + key.replace("_", "-")


def _normalise_path(value: str) -> str:
    """Forward slashes and no ``./`` noise, so configs written on Windows read the same here."""
    if value in ("-", "+", "") or value.startswith("#"):
        return value
    return os.path.normpath(value).replace("\\", "/")


class CGPConfig:
    """An engine configuration: ordered ``key -> value`` plus command-line-only overrides.

    ``CGPConfig`` is the one place that knows the file syntax. Setting a key keeps its position
    (or appends it); ``cli_only`` holds ``start_run``/``start_generation``, which :meth:`save`
    never writes and :meth:`to_args` always emits.
    """

    def __init__(self, values: Mapping[str, Value] | None = None, path: Path | None = None):
        self._values: dict[str, Value] = {}
        self.cli_only: dict[str, Value] = {}
        self.path = path
        for key, value in (values or {}).items():
            self[key] = value

    # -- reading -------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> CGPConfig:
        """Read a config file; blank lines and ``#`` comments are skipped.

        Raises :class:`CompressError` naming the file and line for a line without a colon.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CompressError(f"config file {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as error:
            raise CompressError(f"cannot read config file {path}: {error}") from None
        return cls.parse(text, source=str(path), path=path)

    @classmethod
    def parse(cls, text: str, *, source: str = "<config>", path: Path | None = None) -> CGPConfig:
        config = cls(path=path)
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if ":" not in stripped:
                raise CompressError(f"{source}:{number}: expected 'key: value', got {stripped!r}")
            key, _, value = stripped.partition(":")
            config[key.strip()] = parse_value(value)
        return config

    # -- mapping interface ---------------------------------------------------------------------
    def __getitem__(self, key: str) -> Value:
        if key in self.cli_only:
            return self.cli_only[key]
        return self._values[key]

    def __setitem__(self, key: str, value: Value | None) -> None:
        if value is None:
            self.pop(key)
            return
        if key in CLI_ONLY_KEYS:
            self.cli_only[key] = value
        else:
            self._values[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self._values or key in self.cli_only

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def get(self, key: str, default: Value | None = None) -> Value | None:
        return self[key] if key in self else default

    def get_int(self, key: str, default: int | None = None) -> int:
        value = self.get(key, default)
        if value is None:
            raise CompressError(f"config has no {key!r}; add '{key}: <number>' to it")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise CompressError(
                f"config key {key!r} must be a whole number, got {value!r}"
            ) from None

    def pop(self, key: str) -> Value | None:
        if key in self.cli_only:
            return self.cli_only.pop(key)
        return self._values.pop(key, None)

    def items(self) -> Iterable[tuple[str, Value]]:
        return self._values.items()

    def update(self, values: Mapping[str, Value | None]) -> CGPConfig:
        """Set every non-``None`` value (``None`` means "option not given", as on the CLI)."""
        for key, value in values.items():
            if value is not None:
                self[key] = value
        return self

    def clone(self) -> CGPConfig:
        other = CGPConfig(self._values, path=self.path)
        other.cli_only = dict(self.cli_only)
        return other

    # -- writing -------------------------------------------------------------------------------
    def dumps(self) -> str:
        """The file text: every key in order, command-line-only keys left out."""
        lines = []
        for key, value in self._values.items():
            text = format_value(value)
            if key.endswith("_file") and isinstance(value, str):
                text = _normalise_path(text)
            lines.append(f"{key}: {text}")
        return "\n".join(lines) + "\n"

    def save(self, path: str | Path | None = None) -> Path:
        """Write atomically (temp file + rename) so a crash never leaves half a config."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("CGPConfig.save needs a path")
        write_text_atomic(target, self.dumps())
        self.path = target
        return target

    def to_args(self, keys: Iterable[str] | None = None) -> list[str]:
        """Engine flags for ``keys`` (default: none) plus every command-line-only key.

        The engine reads everything else from the file, so only explicit overrides travel as
        flags; Python-only keys are never sent.
        """
        args: list[str] = []
        for key in keys or ():
            if key in PYTHON_ONLY_KEYS or key in CLI_ONLY_KEYS or key not in self:
                continue
            args += [key_to_flag(key), format_value(self[key])]
        for key, value in self.cli_only.items():
            args += [key_to_flag(key), format_value(value)]
        return args

    def __repr__(self) -> str:
        return f"CGPConfig({len(self._values)} keys, cli_only={self.cli_only}, path={self.path})"
