"""Mini-programs: third-party apps inside Hutong — developers and apps, uploaded bundles with
review and release, login (openid/unionid) and payments for the developer's backend, and
signed webhooks. This package sits above both `chat` and `wallet`: it pays through the
wallet's merchant API and checks webhook targets with the chat's link guard.
"""

from hutong.miniapps.service import MiniAppPolicy, MiniApps

__all__ = ["MiniAppPolicy", "MiniApps"]
