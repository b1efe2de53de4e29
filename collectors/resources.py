"""Lists of collectors and of their areas, in and out, with the registry's
import rules (households.resources): all or nothing, exact row messages."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from households import validators
from households.imports import Column, TableSpec, cell_text
from households.resources import (
    CommuneWidget,
    DateWidget,
    IdentifierWidget,
    NaturalKeyWidget,
    RegistryResource,
    TextWidget,
    VillageWidget,
    YesNoWidget,
    _field,
)
from households.text import search_key

from .models import Agent, Assignment, Collector

COLLECTOR_SPEC = TableSpec([
    Column("code", gettext_lazy("collector code"), "Mã nhân viên thu", required=True, free_text=True,
           aliases=("ma nvt", "ma nhan vien"), example="TV-0101"),
    Column("full_name", gettext_lazy("full name"), "Họ và tên", required=True, free_text=True,
           aliases=("ho ten",), example="Trần Thị Mai"),
    Column("agent_code", gettext_lazy("agent code"), "Mã đại lý", required=True, free_text=True,
           aliases=("dai ly", "agent"), example="BD-DLK"),
    Column("username", gettext_lazy("user account"), "Tài khoản", required=True, free_text=True,
           aliases=("ten dang nhap", "login"), example="tran.thi.mai"),
    Column("phone", gettext_lazy("phone"), "Số điện thoại", aliases=("dien thoai", "sdt"), example="0912345601"),
    Column("active", gettext_lazy("active"), "Đang làm", aliases=("hoat dong",), example="yes", example_vi="có"),
    Column("joined_on", gettext_lazy("joined on"), "Ngày vào làm", aliases=("ngay bat dau",),
           example="01/03/2026"),
], name=gettext_lazy("collectors"))


class UserWidget(TextWidget):
    """A collector's login, created (without a password) when it does not exist
    yet; staff then set the password. A dry run's accounts roll back with it."""

    def __init__(self):
        super().__init__(max_length=150)

    def clean(self, value, row=None, **kwargs):
        username = super().clean(value, row, **kwargs)
        if not username:
            return None
        User = get_user_model()
        try:
            User._meta.get_field("username").run_validators(username)
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from None
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username)
            user.set_unusable_password()
            user.save()
        return user

    def render(self, value, obj=None, **kwargs):
        return value.get_username() if value else ""


class CollectorResource(RegistryResource):
    spec = COLLECTOR_SPEC
    personal_columns = ("phone",)
    code = _field("code", widget=TextWidget(30))
    full_name = _field("full_name", widget=TextWidget(100))
    agent_code = _field("agent_code", "agent", NaturalKeyWidget(
        Agent, "code", gettext_lazy("is not the code of any collection agent in the registry")))
    username = _field("username", "user", UserWidget())
    phone = _field("phone", widget=IdentifierWidget(Collector, "phone", validators.validate_mobile))
    active = _field("active", widget=YesNoWidget())
    joined_on = _field("joined_on", widget=DateWidget())

    class Meta:
        model = Collector
        fields = [column.key for column in COLLECTOR_SPEC.columns]
        export_order = fields
        import_id_fields = ("code",)
        skip_unchanged = report_skipped = clean_model_instances = True

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("agent", "user")


ASSIGNMENT_SPEC = TableSpec([
    Column("collector_code", gettext_lazy("collector code"), "Mã nhân viên thu", required=True, free_text=True,
           aliases=("ma nvt", "collector"), example="TV-0101"),
    Column("commune_code", gettext_lazy("commune code"), "Mã xã", required=True,
           aliases=("ma phuong xa", "commune"), example="24259"),
    Column("village", gettext_lazy("village"), "Thôn, buôn", free_text=True,
           aliases=("thon", "thon buon", "to dan pho"), example=""),
    Column("start", gettext_lazy("from"), "Từ ngày", aliases=("tu",), example="01/03/2026"),
    Column("end", gettext_lazy("until"), "Đến ngày", aliases=("den",), example=""),
], name=gettext_lazy("collectors' areas"))


class AssignmentResource(RegistryResource):
    """Matched on the collector, the commune, the village (or the whole
    commune) and the start."""

    spec = ASSIGNMENT_SPEC
    collector_code = _field("collector_code", "collector", NaturalKeyWidget(
        Collector, "code", gettext_lazy("is not the code of any collector in the registry")))
    commune_code = _field("commune_code", "commune", CommuneWidget())
    village = _field("village", "village", VillageWidget())
    start = _field("start", widget=DateWidget())
    end = _field("end", widget=DateWidget())

    class Meta:
        model = Assignment
        fields = [column.key for column in ASSIGNMENT_SPEC.columns]
        export_order = fields
        import_id_fields = ()
        skip_unchanged = report_skipped = clean_model_instances = True

    def file_key(self, row):
        return tuple(search_key(cell_text(row.get(key))) for key in ("collector_code", "commune_code", "village",
                                                                      "start"))

    def get_or_init_instance(self, instance_loader, row):
        try:
            collector = self.fields["collector_code"].clean(row)
            commune = self.fields["commune_code"].clean(row)
            village = self.fields["village"].clean(row) if "village" in row else None
            start = self.fields["start"].clean(row) if "start" in row else None
        except ValueError:
            return Assignment(), True  # import_instance reports the bad cell
        existing = Assignment.objects.filter(collector=collector, commune=commune, village=village,
                                             start=start).first() if start else None
        return (existing, False) if existing else (Assignment(), True)

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("collector", "village")
