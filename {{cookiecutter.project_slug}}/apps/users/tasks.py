from apps.core.tasks import RETRY_TRANSIENT_ERRORS, task


@task(**RETRY_TRANSIENT_ERRORS)
def user_welcome_email_send_task(*, user_id: str) -> None:
    """Takes an id, not a User: the row is read fresh when the task runs."""
    # Imported here because services import this module to enqueue the task.
    from apps.users.services import user_welcome_email_send

    user_welcome_email_send(user_id=user_id)


@task(**RETRY_TRANSIENT_ERRORS)
def user_password_reset_email_send_task(*, email: str) -> None:
    """Takes the address, not an id: the lookup happens here, so the request costs the same for any address."""
    from apps.users.services import user_password_reset_email_send

    user_password_reset_email_send(email=email)


@task(**RETRY_TRANSIENT_ERRORS)
def user_signup_notice_send_task(*, email: str) -> None:
    """Takes the address: a sign-up for a taken one must cost the request no more than a new one."""
    from apps.users.services import user_signup_notice_send

    user_signup_notice_send(email=email)


@task(**RETRY_TRANSIENT_ERRORS)
def user_email_change_email_send_task(*, user_id: str, email: str) -> None:
    """Looks up whether the address is taken here, not in the request: the answer there is the same either way."""
    from apps.users.services import user_email_change_email_send

    user_email_change_email_send(user_id=user_id, email=email)


@task(**RETRY_TRANSIENT_ERRORS)
def user_email_changed_notice_send_task(*, email: str, new_email: str) -> None:
    from apps.users.services import user_email_changed_notice_send

    user_email_changed_notice_send(email=email, new_email=new_email)
