import pytest
from django.core.exceptions import ImproperlyConfigured
from eth_account import Account

from inference import chain
from inference.runtime import SessionCache

DEV_KEY_0 = chain.dev_account(0).key.hex()


def test_the_development_key_is_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.CHAIN_PRIVATE_KEY = DEV_KEY_0
    with pytest.raises(ImproperlyConfigured, match="well-known development key"):
        chain.signing_account()
    settings.CHAIN_PRIVATE_KEY = chain.dev_account(7).key.hex()
    with pytest.raises(ImproperlyConfigured, match="well-known development key"):
        chain.signing_account()


def test_with_debug_on_and_no_key_the_local_chain_uses_the_development_key(settings):
    settings.DEBUG = True
    settings.CHAIN_BACKEND = "local"
    settings.CHAIN_PRIVATE_KEY = ""
    settings.CHAIN_PRIVATE_KEY_FILE = ""
    assert chain.signing_account().address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured, match="No signing key"):
        chain.signing_account()


def test_the_key_comes_from_a_file_and_a_bad_key_is_not_echoed(settings, tmp_path):
    settings.DEBUG = False
    own = Account.create()
    key_file = tmp_path / "key"
    key_file.write_text(own.key.hex() + "\n")
    settings.CHAIN_PRIVATE_KEY = ""
    settings.CHAIN_PRIVATE_KEY_FILE = str(key_file)
    assert chain.signing_account().address == own.address
    key_file.write_text("0xnot-a-key-but-secret-looking\n")
    with pytest.raises(ImproperlyConfigured) as caught:
        chain.signing_account()
    assert "not-a-key" not in str(caught.value)
    settings.CHAIN_PRIVATE_KEY_FILE = str(tmp_path / "missing")
    with pytest.raises(ImproperlyConfigured, match="could not be read"):
        chain.signing_account()


def test_the_session_cache_keeps_recent_models_within_its_memory_bound():
    cache = SessionCache(budget_bytes=100)
    loads = []

    def loader(name):
        def load():
            loads.append(name)
            return f"session {name}"

        return load

    assert cache.get("a", 40, loader("a")) == "session a"
    cache.get("b", 40, loader("b"))
    cache.get("a", 40, loader("a"))  # a hit: a is now the most recent
    cache.get("c", 40, loader("c"))  # 120 bytes > 100: b, the least recent, goes
    assert loads == ["a", "b", "c"]
    assert cache.size == 80
    cache.get("a", 40, loader("a"))
    cache.get("b", 40, loader("b"))
    assert loads == ["a", "b", "c", "b"]
    cache.get("huge", 500, loader("huge"))  # larger than the budget: kept alone
    assert cache.size == 500


@pytest.mark.django_db
def test_a_job_fails_with_a_clear_reason_when_no_signing_key_is_configured(
    settings, public_repo, shared_storage, runner
):
    from inference import pipeline
    from inference.models import Status
    from inference.tests.helpers import make_job, onnx_file

    settings.DEBUG = False
    settings.CHAIN_PRIVATE_KEY = ""
    settings.CHAIN_PRIVATE_KEY_FILE = ""
    settings.CHAIN_CONTRACT_ADDRESS = "0x" + "12" * 20
    job = make_job(onnx_file(public_repo, "risk.onnx"), runner, enqueue=False)
    pipeline.advance(job.pk)
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert job.error == (
        "The hub's chain settings are incomplete: No signing key: set CHAIN_PRIVATE_KEY or "
        "CHAIN_PRIVATE_KEY_FILE."
    )
