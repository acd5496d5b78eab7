"""IBM SDK failures as ``ProviderError``: retry what the service may yet answer, not what
it refused.

The SDK wraps HTTP failures (``RequestsApiError`` carries the status, ``-1`` when there was
no answer, as for a refused connection, a timeout or a 503 after its own retries) and often
re-raises them as ``IBMRuntimeError`` without a cause, so the status is looked for along the
whole exception chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ibm_cloud_sdk_core import ApiException
from qiskit.exceptions import QiskitError
from qiskit.providers.exceptions import QiskitBackendNotFoundError
from qiskit_ibm_runtime.api.exceptions import RequestsApiError
from qiskit_ibm_runtime.exceptions import IBMError
from requests import RequestException

from bench_workers.executors.base import ProviderError

NO_ANSWER = -1


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _retryable_status(status: int) -> bool:
    """No answer and server errors may pass; a client error (auth, not found) will not."""
    return status == NO_ANSWER or not 400 <= status < 500


def _http_status(link: BaseException) -> int | None:
    """The HTTP status an exception carries (``NO_ANSWER`` when none came), or None when
    it is not an HTTP failure."""
    if isinstance(link, RequestsApiError):
        return int(link.status_code)
    if isinstance(link, ApiException):
        return int(link.status_code)
    if isinstance(link, RequestException):
        return NO_ANSWER if link.response is None else int(link.response.status_code)
    return None


def _http_failure(exc: BaseException) -> tuple[BaseException, int] | None:
    return next(
        ((link, status) for link in _chain(exc) if (status := _http_status(link)) is not None),
        None,
    )


def is_retryable(exc: BaseException) -> bool:
    """Whether the request behind ``exc`` is worth repeating; failures other than HTTP
    ones (a failed or cancelled job, an unknown backend) are final."""
    failure = _http_failure(exc)
    return failure is not None and _retryable_status(failure[1])


def message(exc: BaseException) -> str:
    """The provider's text, with the HTTP failure's when the SDK's own message hides it
    (Qiskit errors quote their text in ``str``, hence ``.message``)."""
    text = exc.message if isinstance(exc, QiskitError) else str(exc)
    failure = _http_failure(exc)
    if failure is not None and str(failure[0]).strip("'\"") not in text:
        text = f"{text} ({failure[0]})"
    return text


@contextmanager
def provider_errors(subject: str | None = None) -> Iterator[None]:
    """Re-raise SDK and HTTP failures as ``ProviderError`` with the provider's message,
    after ``subject`` when the message may not say what it is about."""
    try:
        yield
    except (IBMError, QiskitBackendNotFoundError, ApiException, RequestException) as exc:
        text = message(exc) if subject is None else f"{subject}: {message(exc)}"
        raise ProviderError(text, retryable=is_retryable(exc)) from exc
