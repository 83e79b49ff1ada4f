"""Users as reportable content: the one `ContentSource` moderation provides itself."""

from __future__ import annotations

from hutong.accounts import AccountService
from hutong.core.content import ContentItem
from hutong.core.errors import InvalidInput, NotFound


class UserSource:
    """`ref` is a user id; the reporter's copy is the profile as they see it."""

    def __init__(self, accounts: AccountService) -> None:
        self.accounts = accounts

    async def resolve(self, viewer_id: int, ref: str) -> ContentItem | None:
        if not ref.isdigit() or len(ref) > 18:
            return None
        found = await self.accounts.public_profiles([int(ref)])
        if not found:
            return None
        user = next(iter(found.values()))
        try:  # the profile guards (blocking) decide whether the viewer can see them
            user = await self.accounts.public_profile(user.handle, viewer_id=viewer_id)
        except NotFound:
            return None
        return ContentItem(
            author_id=user.id,
            text=f"{user.display_name}\n{user.bio}".strip(),
            context={"handle": user.handle, "display_name": user.display_name, "bio": user.bio},
        )

    async def remove(self, ref: str, reason: str) -> None:
        raise InvalidInput("A user cannot be removed: warn, mute or ban them.")

    async def release(self, ref: str) -> None:
        """Nothing is held about a user."""
