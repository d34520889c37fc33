"""The settings of getting in: the trusted proxies (whose X-Forwarded-For gives the client's
address), log-in throttling (django-axes), the sign-up and token limits. Read from the
environment like the rest and star-imported by `hub.settings` (kept apart only for its size).
"""

import ipaddress
from datetime import timedelta

from hub.env import env_int, env_list

# The reverse proxies in front of the hub (addresses or networks): only from them is
# X-Forwarded-For believed, for the client's address (hub/clientip.py). Empty: the client is
# the connection's address, and behind a proxy every client shares the proxy's.
TRUSTED_PROXIES = [
    str(ipaddress.ip_network(item, strict=False)) for item in env_list("TRUSTED_PROXIES", [])
]
# Log-in throttling (django-axes, accounts/throttling.py): failed log-ins are counted per
# account from one address, per account from anywhere, and per address for any account. Past
# the first or the last limit, log-ins from there are refused for the cool-off time with a 429
# page that says when to come back. Guessing one account's password from one address stops
# after a few tries without locking its owner out elsewhere, and the per-address limit leaves
# room for the many users one proxy or office network brings. Past the account-wide limit,
# only addresses that have failed at that account are refused: each other address gets one
# try, so guessing from many addresses is slowed while the owner, from an address with a clean
# record, still logs in. Refused attempts are not counted and do not extend the pause.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
HUB_LOGIN_FAILURE_LIMIT = env_int("HUB_LOGIN_FAILURE_LIMIT", 5)
HUB_LOGIN_ACCOUNT_FAILURE_LIMIT = env_int("HUB_LOGIN_ACCOUNT_FAILURE_LIMIT", 20)
HUB_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("HUB_LOGIN_ADDRESS_FAILURE_LIMIT", 100)
LOGIN_THROTTLES = [  # what is counted, and its limit
    (["username", "ip_address"], HUB_LOGIN_FAILURE_LIMIT),
    (["username"], HUB_LOGIN_ACCOUNT_FAILURE_LIMIT),
    (["ip_address"], HUB_LOGIN_ADDRESS_FAILURE_LIMIT),
]
AXES_HANDLER = "accounts.throttling.LoginThrottle"
AXES_LOCKOUT_PARAMETERS = [counted for counted, _limit in LOGIN_THROTTLES]
AXES_FAILURE_LIMIT = min(limit for _counted, limit in LOGIN_THROTTLES)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("HUB_LOGIN_COOLOFF_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True  # the account's count from that address only (LoginThrottle)
# axes' default (True) records attempts made during a pause, the right password too, and
# restarts the cool-off with each: anyone could then keep an account locked for ever.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "hub.clientip.client_ip"
AXES_USERNAME_CALLABLE = "accounts.throttling.username_of"
AXES_LOCKOUT_CALLABLE = "accounts.throttling.locked_out"
AXES_VERBOSE = False
# Sign-up throttling (django-ratelimit, counted in the cache): new accounts per address.
RATELIMIT_IP_META_KEY = "hub.clientip.client_ip"  # every django-ratelimit "ip" key
HUB_SIGNUPS_PER_HOUR = env_int("HUB_SIGNUPS_PER_HOUR", 10)
# Requests one access token may make in a minute (429 with Retry-After past it).
HUB_TOKEN_REQUESTS_PER_MINUTE = env_int("HUB_TOKEN_REQUESTS_PER_MINUTE", 600)

__all__ = [name for name in dir() if name.isupper()]
