"""The microblog part of `hutong demo`: a verified celebrity everyone follows, an
organisation, follows among the members, posts with topics, mentions and links, reposts,
comments with replies, and likes — all through the service, as clients would make them."""

from __future__ import annotations

import random

from tqdm import tqdm

from hutong.accounts import AccountService
from hutong.core.errors import HutongError
from hutong.microblog.schemas import PostIn, RepostIn
from hutong.microblog.service import MicroblogService

STAR_POSTS = [
    "新茶到了，明前龙井，欢迎来胡同茶馆坐坐 #喝茶# #春节#",
    "Thank you all for following! 每周五晚上直播泡茶 #喝茶#",
    "春节快乐！🧧 祝大家新年万事如意 #春节#",
]
POSTS = [
    "今天的龙井特别香 #喝茶#",
    "Morning run along the canal, 5 km done #跑步#",
    "胡同里的糖葫芦还是小时候的味道",
    "Who's up for badminton on Saturday? #羽毛球#",
    "新开的咖啡馆不错 https://hutong.example/cafe",
    "读完了《活着》，久久不能平静 #读书#",
    "下雪了 ❄️ #北京#",
    "Dumplings for dinner again. No regrets. #春节#",
    "周末去爬香山，有人一起吗？",
    "The hutong cat is back on our roof 🐈",
]
COMMENTS = ["好香！", "Looks great", "下周去", "同意 👍", "哈哈哈", "Where is this?"]
REPOSTS = ["转发微博", "说得好", "必须支持", "Worth a read", ""]


async def fill_microblog(
    svc: MicroblogService, accounts: AccountService, uids: list[int], rng: random.Random
) -> dict[str, int]:
    """Fill the microblog for the demo users; counts of what was made."""
    made = {"follows": 0, "posts": 0, "reposts": 0, "comments": 0, "likes": 0}
    if len(uids) < 3:
        return made
    star, org = uids[0], uids[1]
    await accounts.set_verification("admin", star, "personal", "Tea master, Chengdu")
    await accounts.set_verification("admin", org, "organisation", "Hutong Community Centre")
    handles = {uid: (await accounts.me(uid)).handle for uid in uids}
    for uid in tqdm(uids, desc="follows", unit="user"):
        await svc.timeline.home(uid, None, 20)  # everyone has looked at their feed once
        for other in {star, org, *rng.sample(uids, min(6, len(uids)))} - {uid}:
            try:
                await svc.graph.follow(uid, handles[other])
                made["follows"] += 1
            except HutongError:
                continue
    star_posts = []
    for text in STAR_POSTS:
        star_posts.append((await svc.posts.create(star, PostIn(text=text))).id)
        made["posts"] += 1
    await svc.posts.create(
        org, PostIn(text=f"社区中心本周六有春联活动，@{handles[star]} 也来 #春节#")
    )
    made["posts"] += 1
    for uid in tqdm(uids[2:], desc="posts", unit="user"):
        try:
            await svc.posts.create(uid, PostIn(text=rng.choice(POSTS)))
            made["posts"] += 1
            if rng.random() < 0.4:
                await svc.posts.repost(
                    uid, rng.choice(star_posts), RepostIn(text=rng.choice(REPOSTS))
                )
                made["reposts"] += 1
            for pid in rng.sample(star_posts, 2):
                await svc.talk.like_post(uid, pid, like=True)
                made["likes"] += 1
            if rng.random() < 0.5:
                c = await svc.talk.comment(uid, star_posts[0], rng.choice(COMMENTS))
                made["comments"] += 1
                if rng.random() < 0.5:
                    await svc.talk.comment(star, star_posts[0], "谢谢！", reply_to=c.id)
                    made["comments"] += 1
        except HutongError:
            continue  # a new account's posting limit; the demo moves on
    await svc.fanout.drain()
    return made
