"""`python -m service` runs the same CLI as `interlock`."""

import sys

from service.cli import main

sys.exit(main())
