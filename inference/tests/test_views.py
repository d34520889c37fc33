"""Who sees the test-inference panel and pages, and what bad input gets."""

import pytest
from django.test import Client

from inference.models import InferenceJob, Mode, Status
from inference.tests.helpers import make_job, onnx_file
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FILE_URL = "/alice/eth-volatility/releases/v1.00/files/risk.onnx"


@pytest.fixture
def risk(public_repo, shared_storage):
    return onnx_file(public_repo, "risk.onnx")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_staff_with_the_permission_see_the_panel_prefilled_with_valid_examples(risk, runner_client):
    page = runner_client.get(FILE_URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Run test inference" in html
    assert "float [1, 4]" in html
    assert "[[0.1, 0.2, 0.3, 0.4]]" in html
    assert 'value="ZKML"' in html and "ZKML is not available" not in html


def test_a_superuser_has_the_permission(risk):
    root = UserFactory(username="boss", is_staff=True, is_superuser=True)
    assert "Run test inference" in _client(root).get(FILE_URL).content.decode()


@pytest.mark.parametrize("who", ["owner", "other", "anonymous", "plain staff", "moderator"])
def test_nobody_else_sees_the_panel_and_its_urls_do_not_exist(
    risk, personas, runner, moderator, who
):
    if who == "plain staff":
        client = _client(UserFactory(username="clerk", is_staff=True))
    elif who == "moderator":
        client = _client(moderator)
    else:
        client = personas[who]
    job = make_job(risk, runner, enqueue=False)
    assert "Run test inference" not in client.get(FILE_URL).content.decode()
    for url in [
        f"/inference/files/{risk.pk}/run/",
        "/inference/jobs/",
        f"/inference/jobs/{job.pk}/",
        f"/inference/jobs/{job.pk}/?live=1",
    ]:
        assert client.get(url).status_code == 404, url
    posted = client.post(f"/inference/files/{risk.pk}/run/", {"input_0": "[[1,2,3,4]]"})
    assert posted.status_code == 404
    assert InferenceJob.objects.count() == 1


def test_a_valid_form_queues_one_job_after_commit_and_lands_on_its_page(
    risk, runner_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = runner_client.post(
            f"/inference/files/{risk.pk}/run/", {"input_0": "[[1, 0.5, -2, 3]]", "mode": "TEE"}
        )
    job = InferenceJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/inference/jobs/{job.pk}/"
    assert len(callbacks) == 1  # the task is sent once the job row is committed
    assert job.status == Status.QUEUED and job.mode == Mode.TEE
    assert job.inputs == {
        "position": {"type": "float", "shape": [1, 4], "values": [[1.0, 0.5, -2.0, 3.0]]}
    }
    assert job.model_id == risk.blob.blob_id
    assert job.file_label == "alice/eth-volatility v1.00 risk.onnx"
    page = runner_client.get(response["Location"])
    assert "Test inference #" in page.content.decode() and "Queued" in page.content.decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[[1, 2, 3]]", "Input “position”: dimension 1 must be 4 (shape [1, 4]), got 3."),
        ('[[1, 2, 3, "x"]]', "Input “position”: expected numbers (float), got &quot;x&quot;."),
        ("{oops", "Input “position”: not valid JSON"),
    ],
)
def test_input_that_does_not_fit_is_refused_before_anything_is_queued(
    risk, runner_client, value, message
):
    response = runner_client.post(
        f"/inference/files/{risk.pk}/run/", {"input_0": value, "mode": "VANILLA"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Nothing was queued" in html
    assert value.replace('"', "&quot;") in html  # what the user typed is kept
    assert not InferenceJob.objects.exists()


def test_zkml_is_not_offered_for_a_file_that_does_not_qualify_and_the_page_says_why(
    public_repo, shared_storage, runner_client
):
    words = onnx_file(public_repo, "words.onnx")
    html = runner_client.get(
        words.release.url("release_detail") + "files/words.onnx"
    ).content.decode()
    assert "ZKML is not available for this file: input words is string" in html
    assert 'value="ZKML" id="id_mode_2" disabled' in html
    response = runner_client.post(
        f"/inference/files/{words.pk}/run/", {"input_0": '["a", "b"]', "mode": "ZKML"}
    )
    assert response.status_code == 400
    assert "ZKML is not available for this model" in response.content.decode()
    assert not InferenceJob.objects.exists()


def test_files_that_are_not_valid_onnx_have_no_panel(public_repo, shared_storage, runner_client):
    onnx_file(public_repo, "fake.onnx", data=b"not a model")
    html = runner_client.get(
        "/alice/eth-volatility/releases/v1.00/files/fake.onnx"
    ).content.decode()
    assert "Run test inference" not in html
    rf = public_repo.releases.first().files.get(path="fake.onnx")
    assert runner_client.get(f"/inference/files/{rf.pk}/run/").status_code == 404


def test_the_job_list_filters_by_status_mode_repository_and_user(
    risk, runner, runner_client, private_repo
):
    other_runner = UserFactory(username="second", is_staff=True, is_superuser=True)
    a = make_job(risk, runner, Mode.VANILLA, enqueue=False)
    b = make_job(risk, other_runner, Mode.TEE, enqueue=False)
    secret = onnx_file(private_repo, "risk.onnx")
    c = make_job(secret, other_runner, Mode.VANILLA, enqueue=False)
    InferenceJob.objects.filter(pk=a.pk).update(status=Status.CONFIRMED, tx_hash="0x" + "ab" * 32)

    def ids(query):
        page = runner_client.get("/inference/jobs/" + query)
        assert page.status_code == 200
        return {job.pk for job in page.context["page"].object_list}

    # The runner holds no right to read private repositories: that job is not theirs to see.
    assert ids("") == {a.pk, b.pk}
    assert ids("?status=confirmed") == {a.pk}
    assert ids("?mode=TEE") == {b.pk}
    assert ids("?repo=alice/secret-model") == set()
    assert ids("?user=SECOND") == {b.pk}
    assert ids("?status=bogus") == {a.pk, b.pk}
    assert runner_client.get(f"/inference/jobs/{c.pk}/").status_code == 404
    html = runner_client.get("/inference/jobs/?status=confirmed").content.decode()
    assert "0xabababab…ababab" in html


def test_the_job_list_runs_a_fixed_number_of_queries(
    risk, runner, runner_client, django_assert_max_num_queries
):
    for _ in range(30):
        make_job(risk, runner, enqueue=False)
    with django_assert_max_num_queries(6):
        assert runner_client.get("/inference/jobs/").status_code == 200


def test_numbers_that_do_not_fit_opengradients_fixed_point_are_refused(
    risk, runner_client, settings
):
    settings.CHAIN_BACKEND = "opengradient"
    response = runner_client.post(
        f"/inference/files/{risk.pk}/run/", {"input_0": "[[3e38, 0, 0, 0]]", "mode": "VANILLA"}
    )
    assert response.status_code == 400
    assert "does not fit a 128-bit fixed-point number" in response.content.decode()
    assert not InferenceJob.objects.exists()


@pytest.mark.parametrize("value", ["[[" + "1" * 5000 + ", 0, 0, 0]]", "[" * 50000, "1" * 10**6])
def test_hostile_input_gets_a_message_not_a_crash(risk, runner_client, value):
    response = runner_client.post(
        f"/inference/files/{risk.pk}/run/", {"input_0": value, "mode": "VANILLA"}
    )
    assert response.status_code == 400
    assert "Input “position”" in response.content.decode()


def test_a_nul_byte_in_the_job_filters_matches_nothing(risk, runner, runner_client):
    make_job(risk, runner, enqueue=False)
    response = runner_client.get("/inference/jobs/?repo=alice%00/x&user=a%00")
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []


def test_an_empty_output_tensor_is_shown_as_such(risk, runner, runner_client):
    job = make_job(risk, runner, enqueue=False)
    InferenceJob.objects.filter(pk=job.pk).update(
        status=Status.CONFIRMED, outputs={"found": {"type": "int64", "shape": [0, 2], "values": []}}
    )
    html = runner_client.get(f"/inference/jobs/{job.pk}/").content.decode()
    assert "Empty tensor (no values)." in html


def test_the_panel_warns_when_jobs_could_not_be_signed(risk, runner_client, settings):
    settings.CHAIN_PRIVATE_KEY = ""
    settings.CHAIN_PRIVATE_KEY_FILE = ""
    html = runner_client.get(FILE_URL).content.decode()
    assert "Jobs cannot be signed with the hub's current settings" in html
    assert "No signing key" in html


def test_the_job_list_and_the_job_page_write_the_mode_alike(risk, runner, runner_client):
    job = make_job(risk, runner, Mode.VANILLA, enqueue=False)
    tee = make_job(risk, runner, Mode.TEE, enqueue=False)
    listed = runner_client.get("/inference/jobs/").content.decode()
    for one in (job, tee):
        page = runner_client.get(f"/inference/jobs/{one.pk}/").content.decode()
        assert f"· {one.mode} ·" in page
        assert f"<td>{one.mode}</td>" in listed
    panel = runner_client.get(FILE_URL).content.decode()
    assert "Vanilla" not in listed + page + panel
    assert "<span>VANILLA</span>" in panel
