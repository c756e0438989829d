"""`python -m rea_lint` is the `rea` command."""

import sys

from rea_lint.cli import main

sys.exit(main())
