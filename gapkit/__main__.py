import sys

from gapkit.cli import main

sys.exit(main())
