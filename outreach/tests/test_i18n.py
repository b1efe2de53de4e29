"""Vietnamese first, English second; dates DD/MM/YYYY."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from households.tests.factories import MemberFactory

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES"


def test_every_message_has_a_vietnamese_translation():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    untranslated = [e.msgid for e in po if not e.translated()]
    assert untranslated == []


def _catalogue(entries):
    return {(e.msgctxt, e.msgid): e.msgstr_plural or e.msgstr for e in entries}


def test_the_compiled_catalogue_matches_the_translations():
    po = _catalogue(e for e in polib.pofile(str(CATALOGUE / "django.po")) if e.translated())
    mo = _catalogue(e for e in polib.mofile(str(CATALOGUE / "django.mo")) if e.msgid)
    assert mo == po, "run `make messages` after editing django.po"


def test_settings_are_vietnamese_first_in_vietnams_time_zone():
    # (tests read English messages: conftest switches them; the project's own settings are these)
    from outreach import settings as project_settings

    assert project_settings.LANGUAGE_CODE == "vi"
    assert [code for code, _ in project_settings.LANGUAGES] == ["vi", "en"]
    assert project_settings.TIME_ZONE == "Asia/Ho_Chi_Minh"


def test_the_admin_speaks_vietnamese_or_english_as_the_browser_asks(staff_client):
    MemberFactory(full_name="Nguyễn Thị Hiền", date_of_birth="1985-05-17")
    url = reverse("admin:households_member_changelist")
    vietnamese = staff_client.get(url, headers={"accept-language": "vi"}).content.decode()
    assert "Chọn thành viên để thay đổi" in vietnamese
    assert "Ngày sinh" in vietnamese
    assert "17/05/1985" in vietnamese
    english = staff_client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "Select member to change" in english
    assert "17/05/1985" in english


def test_validation_messages_are_translated():
    from django.core.exceptions import ValidationError

    from households.validators import validate_citizen_id

    with translation.override("vi"), pytest.raises(ValidationError) as caught:
        validate_citizen_id("123")
    assert caught.value.messages == ["Số định danh “123” phải gồm đúng 12 chữ số."]


def test_staff_can_switch_the_admin_to_english_and_back(staff_client):
    url = reverse("admin:index")
    assert 'name="language"' in staff_client.get(url).content.decode()
    staff_client.post(reverse("set_language"), {"language": "vi", "next": url})
    assert "Thoát" in staff_client.get(url).content.decode()
    staff_client.post(reverse("set_language"), {"language": "en", "next": url})
    assert "Log out" in staff_client.get(url).content.decode()
