"""Drive the unmodified OpenGradient SDK's `ModelHub` against a hub; run by .venv-og's Python.

    .venv-og/bin/python tests/opengradient/drive.py http://127.0.0.1:PORT < steps.json

The SDK calls https://api.opengradient.ai; the requests it makes there are sent to the hub
instead (by wrapping `requests.Session.request`, through which every `requests.post/get`
goes), and each `ModelHub` holds a hub token where the SDK keeps its Firebase idToken, valid
for a day so the SDK never tries to refresh it. Nothing of the package is changed.

stdin: {"token": "hub_…", "steps": [{"call": "create_model", "args": [...], "token": "…"}]}
(a step's own `token` replaces the default). stdout: one JSON list, per step
{"result": …} or {"error": "<exception class>: <message>"}.
"""

import dataclasses
import json
import sys
import time

import requests
from opengradient.client.model_hub import ModelHub

SDK_BASE = "https://api.opengradient.ai"


def redirect_to(base: str) -> None:
    send = requests.Session.request

    def request(self, method, url, *args, **kwargs):
        if isinstance(url, str) and url.startswith(SDK_BASE + "/"):
            url = base.rstrip("/") + url[len(SDK_BASE) :]
        return send(self, method, url, *args, **kwargs)

    requests.Session.request = request


def model_hub(token: str) -> ModelHub:
    hub = ModelHub()  # no e-mail: no Firebase log-in
    hub._hub_user = {"idToken": token}
    hub._token_expiry = time.time() + 86_400
    return hub


def run(step: dict, default_token: str):
    hub = model_hub(step.get("token", default_token))
    try:
        result = getattr(hub, step["call"])(*step.get("args", []))
    except Exception as exc:  # the SDK's own errors are what a script sees
        return {"error": f"{type(exc).__name__}: {exc}"}
    if dataclasses.is_dataclass(result):
        result = dataclasses.asdict(result)
    return {"result": result}


def main() -> None:
    redirect_to(sys.argv[1])
    plan = json.load(sys.stdin)
    print(json.dumps([run(step, plan.get("token", "")) for step in plan["steps"]]))


if __name__ == "__main__":
    main()
