import json
import threading
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from . import SENT, Result


class FileBackend:
    """Development: appends each message as a JSON line to a file per day in
    REMINDERS_FILE_PATH."""

    _lock = threading.Lock()

    def send(self, *, to: str, text: str, key: str) -> Result:
        folder = Path(settings.REMINDERS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"to": to, "text": text, "key": key, "at": timezone.now().isoformat()}, ensure_ascii=False)
        with self._lock, open(folder / f"{timezone.localdate():%Y-%m-%d}.jsonl", "a", encoding="utf-8") as out:
            out.write(line + "\n")
        return Result(SENT, provider_id=f"file-{key}")
