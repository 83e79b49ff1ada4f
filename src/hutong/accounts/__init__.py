"""Accounts: users, profiles, device sessions, roles, desktop QR login.

Other domains use `AccountService` (public profiles) and the `CurrentUser` dependency.
"""

from hutong.accounts.qrlogin import QrLoginService
from hutong.accounts.schemas import Me, PublicUser, normalise_handle, normalise_phone
from hutong.accounts.service import AccountService, LoginPolicy, NewSession
from hutong.accounts.sessions import SessionAuthenticator, SessionCache

__all__ = [
    "AccountService",
    "LoginPolicy",
    "Me",
    "NewSession",
    "PublicUser",
    "QrLoginService",
    "SessionAuthenticator",
    "SessionCache",
    "normalise_handle",
    "normalise_phone",
]
