"""Time as both sides store it: UTC, without a zone in the database (SQLite has no zone
type), with the zone written back in every ISO text that leaves the process."""
import datetime


def now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def iso(moment):
    return moment.isoformat(timespec="seconds") + "+00:00" if moment else None
