"""`python -m disclosure_audit` is the `disclosure-audit` command."""

import sys

from disclosure_audit.cli import main

sys.exit(main())
