from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from households.models import Commune

pytestmark = pytest.mark.django_db


def load(*args):
    out = StringIO()
    call_command("load_communes", *args, stdout=out)
    return out.getvalue()


def test_loads_the_102_units_of_dak_lak_with_clean_names():
    assert load("--province", "66").strip() == "Province 66: 102 communes created, 0 updated."
    communes = Commune.objects.filter(province_code=66)
    assert communes.count() == 102
    assert communes.filter(kind=Commune.Kind.XA).count() == 88
    assert communes.filter(kind=Commune.Kind.PHUONG).count() == 14
    assert Commune.objects.get(code=24259).name == "Xã Quảng Phú"
    assert Commune.objects.get(code=24580).name == "Xã Liên Sơn Lắk"
    assert Commune.objects.get(code=24133).name == "Phường Buôn Ma Thuột"
    assert not communes.filter(name__contains="  ").exists()


def test_a_second_run_changes_nothing():
    load()
    before = list(Commune.objects.order_by("code").values_list("code", "name", "kind", "province_code"))
    assert load().strip() == "Province 66: 0 communes created, 0 updated."
    assert list(Commune.objects.order_by("code").values_list("code", "name", "kind", "province_code")) == before


def test_a_run_corrects_a_name_edited_by_mistake():
    load()
    Commune.objects.filter(code=24259).update(name="Quang Phu ")
    assert load().strip() == "Province 66: 0 communes created, 1 updated."
    assert Commune.objects.get(code=24259).name == "Xã Quảng Phú"


def test_unknown_province_is_refused_with_the_expected_codes():
    with pytest.raises(CommandError, match="Unknown province code 99"):
        load("--province", "99")
    assert not Commune.objects.exists()
