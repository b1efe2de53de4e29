from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from households.imports import import_households


class Command(BaseCommand):
    help = ("Import a households-with-members list (xlsx or csv), as the admin does: every row or none. "
            "Prints the counts, or every bad row and exits with status 1.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check and count, write nothing.")
        parser.add_argument("--user", help="Username recorded as the author of the changes in the audit history.")

    def handle(self, *args, file, dry_run, user, **options):
        author = None
        if user:
            author = get_user_model().objects.filter(username=user).first()
            if author is None:
                raise CommandError(_("No user “%(username)s”.") % {"username": user})
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(str(error)) from None
        report = import_households(content=content, file_name=file.name, user=author, dry_run=dry_run)
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(str(problem))
            count = len(report.problems)
            raise CommandError(ngettext("%(count)s problem: nothing was imported.",
                                        "%(count)s problems: nothing was imported.", count) % {"count": count},
                               returncode=1)
        self.stdout.write(ngettext("%(file)s: %(count)s row.", "%(file)s: %(count)s rows.", report.rows)
                          % {"file": file.name, "count": report.rows})
        for warning in report.warnings:
            self.stdout.write(_("warning: %(warning)s") % {"warning": warning})
        self.stdout.write(report.summary())
        self.stdout.write(_("Dry run: nothing was written.") if dry_run else _("Imported."))
