from hub.tasks import ping


def test_a_real_worker_runs_tasks_from_the_broker(celery_worker_process):
    assert ping.delay().get(timeout=30) == "pong"
