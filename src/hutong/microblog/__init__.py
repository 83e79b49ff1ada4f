"""Microblog (Weibo): 140-character posts, follows, reposts, comments, topics, hot search and a
home timeline with hybrid fan-out.

Other parts use `MicroblogService` (built once in `app.py`, `container.microblog`); moderation
acts on posts and comments through `svc.posts.delete` / `svc.talk.delete_comment` with a
moderator principal. The Weibo counter is `text.weibo_length` / `text.parse`.
"""

from hutong.microblog.service import MicroblogPolicy, MicroblogService
from hutong.microblog.text import Parsed, parse, weibo_length

__all__ = ["MicroblogPolicy", "MicroblogService", "Parsed", "parse", "weibo_length"]
