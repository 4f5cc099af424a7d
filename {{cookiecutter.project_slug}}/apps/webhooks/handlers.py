"""What to do with each kind of inbound event: ``(provider, event type) -> handler``.

A handler gets the stored event and does the work, calling other apps' services. It
runs inside a transaction, in a task, possibly more than once (a retry after a crash
half-way), so it must be safe to run again: write through services that check state
("mark the invoice paid" when it is not already), never "add 10 to the balance".
An event whose type has no handler is marked ignored.
"""

from collections.abc import Callable

from apps.webhooks.models import InboundEvent

Handler = Callable[[InboundEvent], None]

HANDLERS: dict[tuple[str, str], Handler] = {
    # ("billing", "invoice.paid"): invoice_paid_handle,
}


def handler_for(event: InboundEvent) -> Handler | None:
    return HANDLERS.get((event.provider, event.type))
