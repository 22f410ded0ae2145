import sys

from tests.helpers.chaos.runner import main

sys.exit(main(sys.argv[1:]))
