import logging


class CacheOutageFilter(logging.Filter):
    """django-redis reports an ignored Redis error with a full traceback at ERROR.

    The request it happened in still succeeds (the cache answers with a miss), so
    the record is a WARNING with the error's one-line summary: loud enough to be
    seen, not an incident page per request while Redis is down.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.msg = f"Cache unavailable, serving without it: {type(error).__name__}: {error}"
            record.args = None
        as_one_line_warning(record)
        return True


class DisallowedHostFilter(logging.Filter):
    """Django reports a request for a host outside ALLOWED_HOSTS with a traceback at ERROR.

    Internet scanners send such requests all day, and each is answered 400: nothing is
    broken, so the record is a one-line WARNING (its message names the host). Below the
    ERROR level it neither pages anyone nor becomes an error-tracking event.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        as_one_line_warning(record)
        return True


def as_one_line_warning(record: logging.LogRecord) -> None:
    record.exc_info = None
    record.exc_text = None
    record.levelno = logging.WARNING
    record.levelname = "WARNING"
