"""Errors a user can cause and fix.

Everything raised as a :class:`CompressError` reaches the user as one line on stderr and a
non-zero exit code (see :func:`compress.cli.main`); anything else is a bug and keeps its traceback.
"""

from compress.engine.description import engine_description


class CompressError(Exception):
    """A mistake in the user's input or environment, with a message that says how to fix it."""

    exit_code = 2


class EngineError(CompressError):
    """The CGP engine exited with a non-zero code."""

    exit_code = 3


class EngineInterrupted(CompressError):
    """The engine stopped on a signal after writing its checkpoint; rerunning resumes it.

    The toolkit exits with the engine's own code for this (33), so job scripts treat both alike.
    """

    exit_code = engine_description().exit_codes["interrupted"]
