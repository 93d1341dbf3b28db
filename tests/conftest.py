"""Shared test set-up: which database the suite runs on, and the three personas of the AWS example.

owner    111122223333  owns key 1234abcd-12ab-34cd-56ef-1234567890ab in us-west-2
trusted  444455556666  the account the key is shared with (role ExampleRole)
outsider 777788889999  nobody shares anything with it
"""

from django.conf import settings


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    where = db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"{db.get('HOST') or 'socket'}:{db.get('PORT') or ''}/{db['NAME']}"
    return f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {where}"


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(pytest_report_header(None))
