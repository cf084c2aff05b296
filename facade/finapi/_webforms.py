"""Web Form 2.0 helpers: create a web form of each type, get it, wait for it.

Every helper calls the generated ``finapi_webform`` operation with the user
session's managed client; bodies may be given as the generated model or as a
mapping in the API's own JSON field names (``{"bank": {"id": 280001}}``).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from finapi._calls import acall, call
from finapi._errors import WaitTimeoutError
from finapi._log import kv, logger

if TYPE_CHECKING:
    from finapi_webform.client import AuthenticatedClient
    from finapi_webform.models.bank_connection_import_details import (
        BankConnectionImportDetails,
    )
    from finapi_webform.models.bank_connection_update_details import (
        BankConnectionUpdateDetails,
    )
    from finapi_webform.models.bank_connection_update_task_details import (
        BankConnectionUpdateTaskDetails,
    )
    from finapi_webform.models.direct_debit_with_account_details import (
        DirectDebitWithAccountDetails,
    )
    from finapi_webform.models.payment_with_account_details import (
        PaymentWithAccountDetails,
    )
    from finapi_webform.models.standalone_payment_details import (
        StandalonePaymentDetails,
    )
    from finapi_webform.models.standing_order_details import StandingOrderDetails
    from finapi_webform.models.task import Task
    from finapi_webform.models.web_form import WebForm

__all__ = [
    "TASK_FINAL_STATUSES",
    "WEB_FORM_FINAL_STATUSES",
    "AsyncWebForms",
    "WebForms",
]

#: Web form statuses after which nothing changes any more.
WEB_FORM_FINAL_STATUSES = frozenset(
    {"COMPLETED", "COMPLETED_WITH_ERROR", "EXPIRED", "ABORTED"}
)
#: Task statuses at which waiting ends (``WEB_FORM_REQUIRED`` needs the user).
TASK_FINAL_STATUSES = frozenset(
    {"COMPLETED", "COMPLETED_WITH_ERROR", "WEB_FORM_REQUIRED"}
)

#: Web form type -> (generated operation module, generated body model).
CREATE_OPERATIONS: dict[str, tuple[str, str]] = {
    "BANK_CONNECTION_IMPORT": (
        "account_information_services.create_for_bank_connection_import",
        "bank_connection_import_details.BankConnectionImportDetails",
    ),
    "BANK_CONNECTION_UPDATE": (
        "account_information_services.create_for_bank_connection_update",
        "bank_connection_update_details.BankConnectionUpdateDetails",
    ),
    "PAYMENT_WITH_ACCOUNT_ID": (
        "payment_initiation_services.create_for_payment_with_account_id",
        "payment_with_account_details.PaymentWithAccountDetails",
    ),
    "STANDALONE_PAYMENT": (
        "payment_initiation_services.create_for_standalone_payment",
        "standalone_payment_details.StandalonePaymentDetails",
    ),
    "STANDING_ORDER": (
        "payment_initiation_services.create_for_standing_order",
        "standing_order_details.StandingOrderDetails",
    ),
    "DIRECT_DEBIT_WITH_ACCOUNT_ID": (
        "payment_initiation_services.create_for_direct_debit_with_account_id",
        "direct_debit_with_account_details.DirectDebitWithAccountDetails",
    ),
}

Progress = Callable[[Any], object]
T = TypeVar("T")


def _operation(kind: str) -> tuple[Any, type[Any]]:
    try:
        module_name, model_path = CREATE_OPERATIONS[kind]
    except KeyError:
        known = ", ".join(sorted(CREATE_OPERATIONS))
        msg = f"unknown web form type {kind!r}; known: {known}"
        raise ValueError(msg) from None
    module = importlib.import_module(f"finapi_webform.api.{module_name}")
    model_module, model_name = model_path.rsplit(".", 1)
    model = getattr(
        importlib.import_module(f"finapi_webform.models.{model_module}"), model_name
    )
    return module, model


def _body(model: type[T], details: object) -> T:
    if isinstance(details, model):
        return details
    if details is None:
        details = {}
    if not isinstance(details, Mapping):
        msg = f"details must be a {model.__name__} or a mapping, got {type(details).__name__}"
        raise TypeError(msg)
    try:
        return model.from_dict(details)  # type: ignore[attr-defined, no-any-return]
    except (KeyError, TypeError, ValueError) as exc:
        msg = (
            f"details do not make a valid {model.__name__}: {type(exc).__name__} {exc}"
        )
        raise ValueError(msg) from None


def _status(value: Any) -> str:
    status = getattr(value, "status", None)
    return str(getattr(status, "value", status))


class _Poll:
    """Backoff, deadline and progress reporting of one wait."""

    def __init__(
        self,
        what: str,
        *,
        final: frozenset[str],
        timeout: float,
        interval: float,
        max_interval: float,
        on_progress: Progress | None,
    ) -> None:
        if timeout < 0 or interval <= 0 or max_interval < interval:
            msg = "need timeout >= 0 and 0 < interval <= max_interval"
            raise ValueError(msg)
        self.what = what
        self.final = final
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.interval = interval
        self.max_interval = max_interval
        self.on_progress = on_progress
        self.last: str | None = None

    def seen(self, value: Any, request_id: str) -> float | None:
        """Record one poll; return None when done, else the seconds to sleep."""
        status = _status(value)
        if status != self.last:
            logger.info(
                "wait %s", kv(what=self.what, status=status, request_id=request_id)
            )
        self.last = status
        if self.on_progress is not None:
            self.on_progress(value)
        if status in self.final:
            return None
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            msg = f"{self.what} still {status} after {self.timeout:g} s"
            raise WaitTimeoutError(msg, last_status=status, request_id=request_id)
        wait = min(self.interval, remaining)
        self.interval = min(self.interval * 1.5, self.max_interval)
        return wait


class WebForms:
    """Web forms and tasks of one user (sync); reached as ``session.webforms``.

    Args:
        client: The session's generated Web Form client.
    """

    def __init__(self, client: AuthenticatedClient) -> None:
        self._client = client

    def create(self, kind: str, details: object = None) -> WebForm:
        """Create a web form of any type the spec has.

        Args:
            kind: The web form type, e.g. ``"BANK_CONNECTION_IMPORT"``.
            details: The body, as the generated model or a mapping.

        Returns:
            The new web form; send the end user to its ``url``.
        """
        from finapi_webform.models.web_form import WebForm  # noqa: PLC0415

        module, model = _operation(kind)
        send = partial(module.sync, client=self._client, body=_body(model, details))
        return call(f"create {kind} web form", WebForm, send)[0]

    def bank_connection_import(
        self, details: BankConnectionImportDetails | Mapping[str, Any] | None = None
    ) -> WebForm:
        """Create a web form that imports a new bank connection.

        Args:
            details: Bank, account types, callbacks... (all optional).

        Returns:
            The new web form.
        """
        return self.create("BANK_CONNECTION_IMPORT", details)

    def bank_connection_update(
        self, details: BankConnectionUpdateDetails | Mapping[str, Any]
    ) -> WebForm:
        """Create a web form that updates a bank connection.

        Args:
            details: At least ``{"bank": {"bankConnectionId": ...}}``.

        Returns:
            The new web form.
        """
        return self.create("BANK_CONNECTION_UPDATE", details)

    def payment_with_account_id(
        self, details: PaymentWithAccountDetails | Mapping[str, Any]
    ) -> WebForm:
        """Create a web form for a payment from an imported account.

        Args:
            details: Account id and orders.

        Returns:
            The new web form.
        """
        return self.create("PAYMENT_WITH_ACCOUNT_ID", details)

    def standalone_payment(
        self, details: StandalonePaymentDetails | Mapping[str, Any]
    ) -> WebForm:
        """Create a web form for a payment from an account not imported.

        Args:
            details: Orders (and optionally the payer).

        Returns:
            The new web form.
        """
        return self.create("STANDALONE_PAYMENT", details)

    def standing_order(
        self, details: StandingOrderDetails | Mapping[str, Any]
    ) -> WebForm:
        """Create a web form for a standing order.

        Args:
            details: Order, frequency, dates.

        Returns:
            The new web form.
        """
        return self.create("STANDING_ORDER", details)

    def direct_debit_with_account_id(
        self, details: DirectDebitWithAccountDetails | Mapping[str, Any]
    ) -> WebForm:
        """Create a web form for a direct debit to an imported account.

        Args:
            details: Account id, direct debit type, sequence type, orders.

        Returns:
            The new web form.
        """
        return self.create("DIRECT_DEBIT_WITH_ACCOUNT_ID", details)

    def get(self, web_form_id: str) -> WebForm:
        """Fetch a web form.

        Args:
            web_form_id: Its id.

        Returns:
            The web form with its current status and payload.
        """
        return self._get(web_form_id)[0]

    def _get(self, web_form_id: str) -> tuple[WebForm, str]:
        from finapi_webform.api.web_forms import get_web_form  # noqa: PLC0415
        from finapi_webform.models.web_form import WebForm  # noqa: PLC0415

        send = partial(get_web_form.sync, web_form_id, client=self._client)
        return call("get web form", WebForm, send)

    def wait(
        self,
        web_form_id: str,
        *,
        timeout: float = 600.0,
        interval: float = 1.0,
        max_interval: float = 10.0,
        on_progress: Callable[[WebForm], object] | None = None,
    ) -> WebForm:
        """Poll a web form until it reaches a final status.

        Final: ``COMPLETED``, ``COMPLETED_WITH_ERROR``, ``EXPIRED``, ``ABORTED``.

        Args:
            web_form_id: Its id.
            timeout: Longest wait in seconds.
            interval: First pause between polls; grows by half each poll.
            max_interval: Longest pause between polls.
            on_progress: Called with the web form after every poll.

        Returns:
            The web form in its final status.

        Raises:
            WaitTimeoutError: When the timeout runs out first.
        """
        poll = _Poll(
            f"web_form:{web_form_id}",
            final=WEB_FORM_FINAL_STATUSES,
            timeout=timeout,
            interval=interval,
            max_interval=max_interval,
            on_progress=on_progress,
        )
        while True:
            form, request_id = self._get(web_form_id)
            pause = poll.seen(form, request_id)
            if pause is None:
                return form
            time.sleep(pause)

    def bank_connection_update_task(
        self, details: BankConnectionUpdateTaskDetails | Mapping[str, Any]
    ) -> Task:
        """Start a background update of a bank connection (no web form needed).

        Args:
            details: At least ``{"bankConnectionId": ...}``.

        Returns:
            The new task.
        """
        from finapi_webform.api.account_information_services import (  # noqa: PLC0415
            create_bank_connection_update_task,
        )
        from finapi_webform.models.bank_connection_update_task_details import (  # noqa: PLC0415
            BankConnectionUpdateTaskDetails,
        )
        from finapi_webform.models.task import Task  # noqa: PLC0415

        body = _body(BankConnectionUpdateTaskDetails, details)
        send = partial(
            create_bank_connection_update_task.sync, client=self._client, body=body
        )
        return call("create update task", Task, send)[0]

    def get_task(self, task_id: str) -> Task:
        """Fetch a task.

        Args:
            task_id: Its id.

        Returns:
            The task with its current status.
        """
        return self._get_task(task_id)[0]

    def _get_task(self, task_id: str) -> tuple[Task, str]:
        from finapi_webform.api.tasks import get_task  # noqa: PLC0415
        from finapi_webform.models.task import Task  # noqa: PLC0415

        return call(
            "get task", Task, partial(get_task.sync, task_id, client=self._client)
        )

    def wait_task(
        self,
        task_id: str,
        *,
        timeout: float = 600.0,
        interval: float = 1.0,
        max_interval: float = 10.0,
        on_progress: Callable[[Task], object] | None = None,
    ) -> Task:
        """Poll a task until it is done or needs a web form.

        Final: ``COMPLETED``, ``COMPLETED_WITH_ERROR``, ``WEB_FORM_REQUIRED``.

        Args:
            task_id: Its id.
            timeout: Longest wait in seconds.
            interval: First pause between polls; grows by half each poll.
            max_interval: Longest pause between polls.
            on_progress: Called with the task after every poll.

        Returns:
            The task in its final status.

        Raises:
            WaitTimeoutError: When the timeout runs out first.
        """
        poll = _Poll(
            f"task:{task_id}",
            final=TASK_FINAL_STATUSES,
            timeout=timeout,
            interval=interval,
            max_interval=max_interval,
            on_progress=on_progress,
        )
        while True:
            task, request_id = self._get_task(task_id)
            pause = poll.seen(task, request_id)
            if pause is None:
                return task
            time.sleep(pause)


class AsyncWebForms:
    """Web forms and tasks of one user (async); reached as ``session.webforms``.

    Args:
        client: The session's generated Web Form client.
    """

    def __init__(self, client: AuthenticatedClient) -> None:
        self._client = client

    async def create(self, kind: str, details: object = None) -> WebForm:
        """Create a web form of any type the spec has.

        Args:
            kind: The web form type, e.g. ``"BANK_CONNECTION_IMPORT"``.
            details: The body, as the generated model or a mapping.

        Returns:
            The new web form; send the end user to its ``url``.
        """
        from finapi_webform.models.web_form import WebForm  # noqa: PLC0415

        module, model = _operation(kind)
        send = partial(module.asyncio, client=self._client, body=_body(model, details))
        return (await acall(f"create {kind} web form", WebForm, send))[0]

    async def bank_connection_import(
        self, details: BankConnectionImportDetails | Mapping[str, Any] | None = None
    ) -> WebForm:
        """Create a web form that imports a new bank connection.

        Args:
            details: Bank, account types, callbacks... (all optional).

        Returns:
            The new web form.
        """
        return await self.create("BANK_CONNECTION_IMPORT", details)

    async def bank_connection_update(
        self, details: BankConnectionUpdateDetails | Mapping[str, Any]
    ) -> WebForm:
        """Create a web form that updates a bank connection.

        Args:
            details: At least ``{"bank": {"bankConnectionId": ...}}``.

        Returns:
            The new web form.
        """
        return await self.create("BANK_CONNECTION_UPDATE", details)

    async def payment_with_account_id(
        self, details: PaymentWithAccountDetails | Mapping[str, Any]
    ) -> WebForm:
        """Create a web form for a payment from an imported account.

        Args:
            details: Account id and orders.

        Returns:
            The new web form.
        """
        return await self.create("PAYMENT_WITH_ACCOUNT_ID", details)

    async def standalone_payment(
        self, details: StandalonePaymentDetails | Mapping[str, Any]
    ) -> WebForm:
        """Create a web form for a payment from an account not imported.

        Args:
            details: Orders (and optionally the payer).

        Returns:
            The new web form.
        """
        return await self.create("STANDALONE_PAYMENT", details)

    async def standing_order(
        self, details: StandingOrderDetails | Mapping[str, Any]
    ) -> WebForm:
        """Create a web form for a standing order.

        Args:
            details: Order, frequency, dates.

        Returns:
            The new web form.
        """
        return await self.create("STANDING_ORDER", details)

    async def direct_debit_with_account_id(
        self, details: DirectDebitWithAccountDetails | Mapping[str, Any]
    ) -> WebForm:
        """Create a web form for a direct debit to an imported account.

        Args:
            details: Account id, direct debit type, sequence type, orders.

        Returns:
            The new web form.
        """
        return await self.create("DIRECT_DEBIT_WITH_ACCOUNT_ID", details)

    async def get(self, web_form_id: str) -> WebForm:
        """Fetch a web form.

        Args:
            web_form_id: Its id.

        Returns:
            The web form with its current status and payload.
        """
        return (await self._get(web_form_id))[0]

    async def _get(self, web_form_id: str) -> tuple[WebForm, str]:
        from finapi_webform.api.web_forms import get_web_form  # noqa: PLC0415
        from finapi_webform.models.web_form import WebForm  # noqa: PLC0415

        send = partial(get_web_form.asyncio, web_form_id, client=self._client)
        return await acall("get web form", WebForm, send)

    async def wait(
        self,
        web_form_id: str,
        *,
        timeout: float = 600.0,
        interval: float = 1.0,
        max_interval: float = 10.0,
        on_progress: Callable[[WebForm], object] | None = None,
    ) -> WebForm:
        """Poll a web form until it reaches a final status.

        Final: ``COMPLETED``, ``COMPLETED_WITH_ERROR``, ``EXPIRED``, ``ABORTED``.

        Args:
            web_form_id: Its id.
            timeout: Longest wait in seconds.
            interval: First pause between polls; grows by half each poll.
            max_interval: Longest pause between polls.
            on_progress: Called with the web form after every poll.

        Returns:
            The web form in its final status.

        Raises:
            WaitTimeoutError: When the timeout runs out first.
        """
        poll = _Poll(
            f"web_form:{web_form_id}",
            final=WEB_FORM_FINAL_STATUSES,
            timeout=timeout,
            interval=interval,
            max_interval=max_interval,
            on_progress=on_progress,
        )
        return await _apoll(poll, partial(self._get, web_form_id))

    async def bank_connection_update_task(
        self, details: BankConnectionUpdateTaskDetails | Mapping[str, Any]
    ) -> Task:
        """Start a background update of a bank connection (no web form needed).

        Args:
            details: At least ``{"bankConnectionId": ...}``.

        Returns:
            The new task.
        """
        from finapi_webform.api.account_information_services import (  # noqa: PLC0415
            create_bank_connection_update_task,
        )
        from finapi_webform.models.bank_connection_update_task_details import (  # noqa: PLC0415
            BankConnectionUpdateTaskDetails,
        )
        from finapi_webform.models.task import Task  # noqa: PLC0415

        body = _body(BankConnectionUpdateTaskDetails, details)
        send = partial(
            create_bank_connection_update_task.asyncio, client=self._client, body=body
        )
        return (await acall("create update task", Task, send))[0]

    async def get_task(self, task_id: str) -> Task:
        """Fetch a task.

        Args:
            task_id: Its id.

        Returns:
            The task with its current status.
        """
        return (await self._get_task(task_id))[0]

    async def _get_task(self, task_id: str) -> tuple[Task, str]:
        from finapi_webform.api.tasks import get_task  # noqa: PLC0415
        from finapi_webform.models.task import Task  # noqa: PLC0415

        send = partial(get_task.asyncio, task_id, client=self._client)
        return await acall("get task", Task, send)

    async def wait_task(
        self,
        task_id: str,
        *,
        timeout: float = 600.0,
        interval: float = 1.0,
        max_interval: float = 10.0,
        on_progress: Callable[[Task], object] | None = None,
    ) -> Task:
        """Poll a task until it is done or needs a web form.

        Final: ``COMPLETED``, ``COMPLETED_WITH_ERROR``, ``WEB_FORM_REQUIRED``.

        Args:
            task_id: Its id.
            timeout: Longest wait in seconds.
            interval: First pause between polls; grows by half each poll.
            max_interval: Longest pause between polls.
            on_progress: Called with the task after every poll.

        Returns:
            The task in its final status.

        Raises:
            WaitTimeoutError: When the timeout runs out first.
        """
        poll = _Poll(
            f"task:{task_id}",
            final=TASK_FINAL_STATUSES,
            timeout=timeout,
            interval=interval,
            max_interval=max_interval,
            on_progress=on_progress,
        )
        return await _apoll(poll, partial(self._get_task, task_id))


async def _apoll(poll: _Poll, fetch: Callable[[], Awaitable[tuple[T, str]]]) -> T:
    import asyncio  # noqa: PLC0415  (kept out of `import finapi`)

    while True:
        value, request_id = await fetch()
        pause = poll.seen(value, request_id)
        if pause is None:
            return value
        await asyncio.sleep(pause)
