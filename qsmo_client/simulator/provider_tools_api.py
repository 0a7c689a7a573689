"""The gateway's public APIs as the provider-tools simulator calls them: GraphQL at
``/graphql`` and the survey import at ``/v1/surveys/{wave}/responses``, each with a bearer key."""

from types import TracebackType
from typing import Any, Self

import httpx

TIMEOUT_S = 30.0


class ToolsApiError(Exception):
    """The gateway refused or failed a call; the message is the gateway's."""


class ToolsApi:
    """One HTTP connection pool to the gateway; each call names the key it acts with."""

    def __init__(self, url: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=url, transport=transport, timeout=TIMEOUT_S)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._http.close()

    def graphql(self, key: str, query: str, variables: dict[str, Any] | None = None) -> Any:
        """The operation's ``data``; ToolsApiError with the first error's message otherwise."""
        response = self._http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {key}"},
        )
        body = _json(response)
        errors = body.get("errors") if isinstance(body, dict) else None
        if response.status_code != 200 or errors:
            message = errors[0].get("message") if errors else response.text[:500]
            raise ToolsApiError(f"GraphQL answered HTTP {response.status_code}: {message}")
        return body["data"]

    def post_file(self, key: str, path: str, content: bytes, content_type: str) -> Any:
        """POST a file body (CSV, XLSX) to ``path``; its JSON answer, or ToolsApiError with
        the gateway's message and the first problems it lists."""
        response = self._http.post(
            path,
            content=content,
            headers={"Authorization": f"Bearer {key}", "Content-Type": content_type},
        )
        body = _json(response)
        if response.status_code >= 400:
            error = body.get("error", {}) if isinstance(body, dict) else {}
            problems = "; ".join(str(e.get("message")) for e in error.get("errors", [])[:3])
            raise ToolsApiError(
                f"{path} answered HTTP {response.status_code}: {error.get('message')}"
                + (f" ({problems})" if problems else "")
            )
        return body


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {}
