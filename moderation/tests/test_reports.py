import pytest
from django.test import override_settings
from django.urls import reverse

from moderation.models import Report

pytestmark = pytest.mark.django_db


def report_url(repo):
    return reverse("repo_report", kwargs={"owner": repo.owner.username, "name": repo.name})


def test_a_signed_in_user_reports_a_repository_and_gets_a_confirmation(personas, public_repo):
    client = personas["other"]
    page = client.get(report_url(public_repo)).content.decode()
    assert "Report this repository" in page and "Malware or an unsafe file" in page
    response = client.post(report_url(public_repo), {"reason": "malware", "text": "evil.onnx"})
    assert response.status_code == 302
    assert response["Location"].endswith("/alice/eth-volatility/report/sent/")
    report = Report.objects.get()
    assert (report.reporter.username, report.reason, report.text) == ("bob", "malware", "evil.onnx")
    thanks = client.get(response["Location"]).content.decode()
    assert "your report was sent" in thanks and "malware or an unsafe file" in thanks


def test_the_repository_page_offers_the_report_link_to_signed_in_users_only(personas, public_repo):
    url = public_repo.get_absolute_url()
    assert "/report/" in personas["other"].get(url).content.decode()
    assert "/report/" not in personas["anonymous"].get(url).content.decode()
    assert "/report/" not in personas["owner"].get(url).content.decode()


def test_a_second_report_while_the_first_is_open_is_refused_and_changes_nothing(
    personas, public_repo
):
    client = personas["other"]
    client.post(report_url(public_repo), {"reason": "spam", "text": ""})
    again = client.post(report_url(public_repo), {"reason": "other", "text": "more"})
    assert again.status_code == 400
    assert "The moderators have not closed that report yet" in again.content.decode()
    assert Report.objects.count() == 1


def test_invalid_input_is_refused_with_a_message(personas, public_repo):
    response = personas["other"].post(report_url(public_repo), {"reason": "boring", "text": ""})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert personas["other"].post(report_url(public_repo), {"text": "x" * 2001}).status_code == 400
    assert not Report.objects.exists()


@override_settings(HUB_REPORTS_PER_DAY=1)
def test_the_rate_limit_says_when_to_come_back(personas, owner, public_repo):
    from tests.factories import RepositoryFactory

    second = RepositoryFactory(owner=owner, name="second")
    personas["other"].post(report_url(public_repo), {"reason": "spam", "text": ""})
    response = personas["other"].post(report_url(second), {"reason": "spam", "text": ""})
    assert response.status_code == 400
    assert "1 reports in the last 24 hours" in response.content.decode()
    assert Report.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in_and_private_repositories_stay_404(
    personas, private_repo
):
    assert personas["anonymous"].get(report_url(private_repo)).status_code == 302
    assert personas["other"].get(report_url(private_repo)).status_code == 404
    assert personas["other"].post(report_url(private_repo), {"reason": "spam"}).status_code == 404
    assert not Report.objects.exists()
