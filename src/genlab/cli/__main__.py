"""`python -m genlab.cli ...` (the form torchrun needs: torchrun ... -m genlab.cli train ...)."""

import sys

from genlab.cli import main

sys.exit(main())
