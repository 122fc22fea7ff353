import sys

from glifac.cli import main

sys.exit(main())
