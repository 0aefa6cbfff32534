import sys

from zoo import demo
from zoo.cli import main

# The app's secrets file holds for `python -m zoo` too (demo mode, its caps: zoo/demo.apply_secrets). Here, at the
# process's entry, not in main(): tests call main() in their own process, whose environment it would change.
demo.apply_secrets(demo.secrets_in_files())
sys.exit(main())
