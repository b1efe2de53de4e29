"""The demo logins of the quick start (`make run`)."""

from django.contrib.auth import get_user_model
from django.db import transaction

from collectors.models import Agent, Assignment, Collector
from households.models import Commune

from .roles import PROVINCIAL_STAFF, ensure_roles


@transaction.atomic
def create_demo_accounts(*, password: str) -> list[tuple[str, str]]:
    """The demo logins: one provincial staff member and two collectors working
    for different agents in different communes. Re-running resets passwords."""
    User = get_user_model()

    def user(username, **fields):
        account, _ = User.objects.update_or_create(username=username, defaults=fields)
        account.set_password(password)
        account.save()
        return account

    province = user("province", first_name="Cán bộ", last_name="BHXH tỉnh", is_staff=True)
    province.groups.add(ensure_roles()[PROVINCIAL_STAFF])

    post_office, _ = Agent.objects.update_or_create(
        code="BD-DLK", defaults={"name": "Bưu điện tỉnh Đắk Lắk", "kind": Agent.Kind.POST_OFFICE})
    womens_union, _ = Agent.objects.update_or_create(
        code="HPN-24580",
        defaults={"name": "Hội Liên hiệp Phụ nữ xã Liên Sơn Lắk", "kind": Agent.Kind.WOMENS_UNION,
                  "commune": Commune.objects.filter(code=24580).first()})

    accounts = [("province", "provincial staff")]
    for username, agent, code, name, phone, commune_code in [
        ("collector1", post_office, "TV-0001", "Trần Thị Mai", "0912345601", 24259),
        ("collector2", womens_union, "TV-0002", "H'Hen Ksor", "0912345602", 24580),
    ]:
        account = user(username, first_name=name)
        collector, _ = Collector.objects.update_or_create(
            user=account, defaults={"agent": agent, "code": code, "full_name": name, "phone": phone})
        commune = Commune.objects.get(code=commune_code)
        Assignment.objects.get_or_create(collector=collector, commune=commune, village=None)
        accounts.append((username, f"collector, {commune.name}"))
    return accounts
