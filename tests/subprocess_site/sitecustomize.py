"""Test runs only: `opsbot` subprocesses of the suite record their AWS operations too (tests/aws_calls.py reads them).

The suite puts this directory on PYTHONPATH and names an output directory in RECORD_AWS_CALLS_DIR; Python
imports sitecustomize at start-up, so the hook is registered before the process makes any botocore session.
"""

import atexit
import json
import os

_DIRECTORY = os.environ.get("RECORD_AWS_CALLS_DIR")

if _DIRECTORY:
    import botocore.handlers

    _calls: set[tuple[str, str, str]] = set()

    def _record(model, context, **_):
        appid = getattr(context.get("client_config"), "user_agent_appid", None)
        if appid:
            _calls.add((appid, model.service_model.signing_name, model.name))

    def _write():
        if _calls:
            with open(os.path.join(_DIRECTORY, f"{os.getpid()}.json"), "w") as out:
                json.dump(sorted(_calls), out)

    botocore.handlers.BUILTIN_HANDLERS.append(("before-call", _record))
    atexit.register(_write)
