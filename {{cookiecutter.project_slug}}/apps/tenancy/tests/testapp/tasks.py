from apps.core.tasks import task
from apps.tenancy.tests.testapp.models import Memo


@task
def memo_texts_task() -> list[str]:
    return [memo.text for memo in Memo.objects.all()]
