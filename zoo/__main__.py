import signal
import sys

from zoo import demo
from zoo.cli import main

# The app's secrets file holds for `python -m zoo` too (demo mode, its caps: zoo/demo.apply_secrets). Here, at the
# process's entry, not in main(): tests call main() in their own process, whose environment it would change.
demo.apply_secrets(demo.secrets_in_files())
code = main(process_entry=True)
# The command has said all it says: a Ctrl-C or SIGTERM in Python's teardown (a second or two of torch's modules) had
# killed the process by the signal, exit 130 or 143 after its JSON said `stopped` (a CLI user's check). From the
# command's end they are ignored (StopOnInterrupt's `then_ignore`), and here where main() ended before that.
sys.stdout.flush()
sys.stderr.flush()
for name in ("SIGINT", "SIGTERM"):
    signal.signal(getattr(signal, name), signal.SIG_IGN)
sys.exit(code)
