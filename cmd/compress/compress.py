"""Entry point kept at the original's path: ``python ./cmd/compress/compress.py <command> ...``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from compress.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
