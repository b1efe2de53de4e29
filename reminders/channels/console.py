import sys
import threading

from . import SENT, Result


class ConsoleBackend:
    """Development: writes each message to standard output."""

    _lock = threading.Lock()

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, *, to: str, text: str, key: str) -> Result:
        with self._lock:
            self.stream.write(f"--- reminder to {to} [{key}]\n{text}\n")
            self.stream.flush()
        return Result(SENT, provider_id=f"console-{key}")
