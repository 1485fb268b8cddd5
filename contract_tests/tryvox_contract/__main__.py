"""`python -m tryvox_contract`: the `tryvox-contract` command."""

import sys

from tryvox_contract.cli import main

sys.exit(main())
