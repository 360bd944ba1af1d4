"""The one outgoing session: timeouts always, our User-Agent, no retry after sending, typed errors."""
from __future__ import annotations

import socket

import pytest

from connectors.exceptions import RetryableError
from connectors.http import DEFAULT_TIMEOUT, USER_AGENT, ConnectorSession


def test_timeout_cannot_be_switched_off(postmart):
    session = ConnectorSession()
    assert session.default_timeout == DEFAULT_TIMEOUT
    with pytest.raises(ValueError):
        session.get(postmart.url + "/api/v1/categories", timeout=None)
    with pytest.raises(ValueError):
        ConnectorSession(timeout=None)
    with pytest.raises(ValueError):
        ConnectorSession(timeout=(1, 0))


def test_user_agent_is_sent(postmart, session):
    seen = []
    postmart.before_call = lambda op, request: seen.append(request.headers.get("user-agent"))
    session.get(postmart.url + "/api/v1/categories")
    assert seen == [USER_AGENT]


def test_refused_connection_is_retryable(session):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RetryableError, match="connection failed"):
        session.get(f"http://127.0.0.1:{port}/")


def test_read_timeout_is_retryable(postmart, session):
    postmart.faults.next("timeout")
    with pytest.raises(RetryableError, match="timeout"):
        session.get(postmart.url + "/api/v1/categories")


def test_a_post_whose_answer_was_lost_is_not_repeated(postmart, session):
    postmart.faults.next("lost")
    with pytest.raises(RetryableError):
        session.post(postmart.url + "/oauth/token", data={"grant_type": "client_credentials"})
    assert postmart.calls["auth"] == 1
