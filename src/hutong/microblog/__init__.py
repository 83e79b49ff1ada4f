"""Microblog (Weibo): 140-character posts, follows, reposts, comments, topics and timelines."""
