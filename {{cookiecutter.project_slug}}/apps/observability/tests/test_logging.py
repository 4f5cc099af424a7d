import json
import logging
import logging.config
from io import StringIO

from apps.observability.logging import CacheOutageFilter
from apps.observability.request_id import RequestIDFilter, request_id_var
from config.settings.base import logging_config


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


def test_records_outside_a_request_get_a_dash() -> None:
    record = make_record()

    RequestIDFilter().filter(record)

    assert getattr(record, "request_id", None) == "-"


def test_production_log_line_is_one_json_object_with_the_request_id() -> None:
    config = logging_config("json")
    formatter = logging.config.DictConfigurator(config).configure_formatter(config["formatters"]["json"])
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIDFilter())
    logger = logging.getLogger("apps.test.json")
    logger.addHandler(handler)
    logger.propagate = False
    token = request_id_var.set("trace-0123456789")
    try:
        logger.warning("order %s refused", "A-1", extra={"order_id": "A-1"})
    finally:
        request_id_var.reset(token)
        logger.removeHandler(handler)

    line = json.loads(stream.getvalue())
    assert line["message"] == "order A-1 refused"
    assert line["level"] == "WARNING"
    assert line["logger"] == "apps.test.json"
    assert line["request_id"] == "trace-0123456789"
    assert line["order_id"] == "A-1"
    assert "timestamp" in line


def test_a_request_for_a_host_outside_allowed_hosts_is_a_one_line_warning(client, caplog) -> None:
    # Issue 17, finding 4: each scanner's request was an ERROR with a traceback.
    with caplog.at_level(logging.INFO):
        response = client.get("/api-or-page/", HTTP_HOST="scanner1.evil.com")

    assert response.status_code == 400
    [record] = [record for record in caplog.records if record.name == "django.security.DisallowedHost"]
    assert record.levelno == logging.WARNING
    assert "scanner1.evil.com" in record.getMessage()
    assert record.exc_info is None
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []
