from . import SENT, Result

# Like django.core.mail.outbox: what was sent in this process, for tests.
outbox: list[dict] = []


class LocmemBackend:
    def send(self, *, to: str, text: str, key: str) -> Result:
        outbox.append({"to": to, "text": text, "key": key})
        return Result(SENT, provider_id=f"locmem-{len(outbox)}")
