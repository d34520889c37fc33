"""The release step's `count_onnx_operators` queues the ONNX models read before the hub counted
their operators, and a real Celery worker process counts them from storage."""

import time

import pytest
from django.core.management import call_command

from hub import demo_models
from releases.models import Blob
from releases.services.files import file_add_content
from releases.tasks import read_onnx_signature
from tests.factories import RepositoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_worker_counts_the_operators_of_older_models(
    celery_worker_process, shared_storage, seeded, capsys
):
    owner = UserFactory(username="olga")
    repo = RepositoryFactory(owner=owner, name="older")
    rf = file_add_content(
        release=repo.latest_release,
        path="vol.onnx",
        data=demo_models.volatility_model(),
        user=owner,
    )
    read_onnx_signature(rf.blob_id)
    before = Blob.objects.get(pk=rf.blob_id).onnx_signature
    del before["operators"]  # as signatures were stored before operators were counted
    Blob.objects.filter(pk=rf.blob_id).update(onnx_signature=before)

    call_command("count_onnx_operators")
    assert "Queued 1 of 1 ONNX model(s)" in capsys.readouterr().out

    deadline = time.monotonic() + 30
    signature = before
    while "operators" not in signature and time.monotonic() < deadline:
        time.sleep(0.2)
        signature = Blob.objects.get(pk=rf.blob_id).onnx_signature
    assert signature["operators"] == [
        {"op": "Abs", "count": 1},
        {"op": "MatMul", "count": 1},
        {"op": "ReduceMean", "count": 1},
    ]
    assert {k: v for k, v in signature.items() if k != "operators"} == before

    call_command("count_onnx_operators")  # nothing left: says nothing, queues nothing
    assert capsys.readouterr().out == ""
