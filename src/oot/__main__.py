"""``python -m oot``: the ``oot`` command line."""

from oot.cli import main

raise SystemExit(main())
