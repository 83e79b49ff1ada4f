"""Fixtures for the moderation tests: a moderator and a plain user, signed in over HTTP."""

from __future__ import annotations

import pytest

from hutong.app import Container
from tests.helpers import PASSWORD, Api, User


async def make_staff(api: Api, container: Container, role: str = "moderator") -> User:
    user = await api.register()
    await container.accounts.set_password(user.handle, PASSWORD, role=role)
    return user


@pytest.fixture
async def moderator(api: Api, container: Container) -> User:
    return await make_staff(api, container)


@pytest.fixture
async def user(api: Api) -> User:
    return await api.register()
