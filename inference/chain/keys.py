"""The key that signs inference transactions, and the well-known development keys it must not
be in production."""

import functools
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from eth_account import Account
from eth_account.signers.local import LocalAccount

# The mnemonic anvil and other development nodes fund their accounts from: public knowledge.
DEV_MNEMONIC = "test test test test test test test test test test test junk"


@functools.cache
def dev_addresses() -> frozenset[str]:
    return frozenset(dev_account(i).address for i in range(20))


def dev_account(index: int = 0) -> LocalAccount:
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def signing_account() -> LocalAccount:
    """The account that signs inference transactions, from CHAIN_PRIVATE_KEY or
    CHAIN_PRIVATE_KEY_FILE. Never logged, never stored."""
    key = settings.CHAIN_PRIVATE_KEY.strip()
    if not key and settings.CHAIN_PRIVATE_KEY_FILE:
        try:
            key = Path(settings.CHAIN_PRIVATE_KEY_FILE).read_text().strip().splitlines()[0]
        except (OSError, IndexError) as exc:
            raise ImproperlyConfigured(
                f"CHAIN_PRIVATE_KEY_FILE {settings.CHAIN_PRIVATE_KEY_FILE} could not be read "
                f"({exc.__class__.__name__})."
            ) from None
    if not key:
        if (settings.DEBUG or settings.DEVELOPMENT) and settings.CHAIN_BACKEND == "local":
            return dev_account(0)
        raise ImproperlyConfigured(
            "No signing key: set CHAIN_PRIVATE_KEY or CHAIN_PRIVATE_KEY_FILE."
        )
    try:
        account = Account.from_key(key)
    except (ValueError, TypeError):
        raise ImproperlyConfigured("The chain signing key is not a valid private key.") from None
    if not (settings.DEBUG or settings.DEVELOPMENT) and account.address in dev_addresses():
        raise ImproperlyConfigured(
            "The chain signing key is a well-known development key; it is refused outside "
            "development (DEBUG or DEVELOPMENT). Use a key of your own."
        )
    return account
