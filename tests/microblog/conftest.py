"""Microblog tests post a lot from brand-new accounts: unless a test sets its own
`action_limits_new`, the anti-spam limits are lifted (one test checks they apply)."""

from __future__ import annotations

import pytest

from hutong.settings import Settings


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    marker = request.node.get_closest_marker("settings")
    if marker is not None and "action_limits_new" in marker.kwargs:
        return settings
    generous = dict.fromkeys(settings.action_limits, "10000/60")
    return settings.model_copy(update={"action_limits": generous, "action_limits_new": generous})
