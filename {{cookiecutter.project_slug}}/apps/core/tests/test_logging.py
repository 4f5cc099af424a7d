import logging

from apps.core.logging import CacheOutageFilter


def make_record(exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("apps.core.cache", logging.ERROR, __file__, 1, "Exception ignored", None, exc_info)


def test_outage_record_becomes_a_one_line_warning() -> None:
    try:
        raise ConnectionRefusedError("Connection refused")
    except ConnectionRefusedError as error:
        record = make_record((type(error), error, error.__traceback__))

    assert CacheOutageFilter().filter(record) is True
    assert record.levelno == logging.WARNING
    assert record.levelname == "WARNING"
    assert record.getMessage() == "Cache unavailable, serving without it: ConnectionRefusedError: Connection refused"
    assert record.exc_info is None


def test_record_without_exception_is_only_downgraded() -> None:
    record = make_record()

    CacheOutageFilter().filter(record)

    assert record.levelno == logging.WARNING
    assert record.getMessage() == "Exception ignored"
