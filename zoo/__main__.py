import os
import signal
import sys

from zoo import demo
from zoo.cli import main

# The app's secrets file holds for `python -m zoo` too (demo mode, its caps: zoo/demo.apply_secrets). Here, at the
# process's entry, not in main(): tests call main() in their own process, whose environment it would change.
demo.apply_secrets(demo.secrets_in_files())
code = main()
# The command has said all it says. Python's teardown (torch's modules, a second or two) follows, and a Ctrl-C or
# SIGTERM there had killed the process by the signal (exit 130 or 143, after its JSON had said `stopped`: a CLI user's
# check). Now such a signal ends it with the command's own exit status, its output flushed.
sys.stdout.flush()
sys.stderr.flush()
for name in ("SIGINT", "SIGTERM"):
    signal.signal(getattr(signal, name), lambda *_: os._exit(code))
sys.exit(code)
