"""What a failure to carry out a review's decision means: try again on the job's next run, or record it as failed.

AWS's clients already retry throttling and server errors with backoff before one reaches here; one that still
does is the service being busy or down for a while, which the next hourly run may find over, so the item stays
decided and the campaign open. Anything else (access denied, a validation error, a bug) will fail the same way
again, so it is recorded as failed, with its reason, for the closing report: the campaign is not held open by it.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from bot.doctor_probes import TRANSIENT, error_code, http_status


def transient(exc: Exception) -> bool:
    """The service could not answer now (throttled, 5xx, unreachable): worth trying again later."""
    if isinstance(exc, ClientError):
        status = http_status(exc)
        return error_code(exc) in TRANSIENT or status == 429 or status >= 500
    # No answer at all (a connection or read timeout): the network, not the request.
    return isinstance(exc, BotoCoreError)


def reason(exc: Exception) -> str:
    """A short reason for the report: AWS's error code and message, else the error's kind."""
    if isinstance(exc, ClientError):
        message = exc.response.get("Error", {}).get("Message") or ""
        return f"{error_code(exc)}: {message}"[:256] if message else error_code(exc)[:256]
    return f"unexpected error ({type(exc).__name__})"
