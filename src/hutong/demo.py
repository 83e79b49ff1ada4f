"""`hutong demo`: a believable world for a fresh instance. Later features add to it."""

from __future__ import annotations

import hashlib
import io
import random
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw
from tqdm import tqdm

from hutong.accounts.schemas import ProfileIn
from hutong.core.errors import Conflict, HutongError
from hutong.microblog.demo import fill_microblog
from hutong.miniapps.demo import install_examples
from hutong.settings import Settings
from hutong.wallet.demo import DEMO_PIN, fill_wallets

if TYPE_CHECKING:
    from hutong.app import Container

GIVEN = [
    "Wei",
    "Fang",
    "Lei",
    "Min",
    "Jing",
    "Hao",
    "Yan",
    "Tao",
    "Lin",
    "Xin",
    "Jun",
    "Mei",
    "Ping",
    "Qiang",
    "Hui",
    "Yu",
    "Ning",
    "Bo",
    "Chen",
    "Rui",
]
FAMILY = [
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Zhao",
    "Huang",
    "Zhou",
    "Wu",
    "Xu",
    "Sun",
    "Ma",
    "Zhu",
    "Hu",
    "Guo",
    "He",
    "Lin",
    "Gao",
    "Luo",
]
HANZI_FAMILY = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "赵",
    "黄",
    "周",
    "吴",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "林",
    "高",
    "罗",
]
HANZI_GIVEN = [
    "伟",
    "芳",
    "磊",
    "敏",
    "静",
    "浩",
    "艳",
    "涛",
    "琳",
    "欣",
    "俊",
    "梅",
    "平",
    "强",
    "慧",
    "宇",
    "宁",
    "波",
    "晨",
    "睿",
]
REGIONS = [
    "Beijing",
    "Shanghai",
    "Chengdu",
    "Hangzhou",
    "Guangzhou",
    "Shenzhen",
    "Xi'an",
    "Wuhan",
    "Nanjing",
    "Kunming",
]
BIOS = [
    "Tea, trains and long walks.",
    "Photographer of hutong doorways.",
    "热爱生活，热爱美食",
    "Night-shift nurse, day-shift cat person.",
    "写代码的，也写诗。",
    "Running my little noodle shop.",
    "Basketball on Sundays.",
    "Learning the erhu, badly.",
    "在路上",
    "Ask me about dumplings.",
]


def avatar_png(seed: str, size: int = 256) -> bytes:
    """A symmetric 5×5 identicon, so demo users are told apart at a glance."""
    digest = hashlib.sha256(seed.encode()).digest()
    colour = (64 + digest[0] % 160, 64 + digest[1] % 160, 64 + digest[2] % 160)
    img = Image.new("RGB", (size, size), (245, 245, 245))
    draw = ImageDraw.Draw(img)
    cell = size // 6
    pad = (size - cell * 5) // 2
    for row in range(5):
        for col in range(3):
            if digest[3 + row * 3 + col] % 2:
                for c in {col, 4 - col}:
                    x, y = pad + c * cell, pad + row * cell
                    draw.rectangle((x, y, x + cell - 1, y + cell - 1), fill=colour)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


async def run_demo(settings: Settings, *, users: int, password: str) -> None:
    from hutong.app import build_container

    container = build_container(settings)
    rng = random.Random(2026)
    created = 0
    uids: list[int] = []
    try:
        for i in tqdm(range(users), desc="users", unit="user"):
            if i % 2:
                family, given = rng.choice(HANZI_FAMILY), rng.choice(HANZI_GIVEN)
                display = family + given + (rng.choice(HANZI_GIVEN) if rng.random() < 0.6 else "")
                handle = f"{rng.choice(GIVEN).lower()}{rng.choice(FAMILY).lower()}{i}"
            else:
                given_en, family_en = rng.choice(GIVEN), rng.choice(FAMILY)
                display = f"{given_en} {family_en}"
                handle = f"{given_en.lower()}_{family_en.lower()}{i}"
            try:
                new = await container.accounts.register(
                    handle[:20], password, display, device_name="demo", ip=""
                )
            except Conflict:
                continue
            uid = new.me.id
            await container.accounts.update_profile(
                uid, ProfileIn(bio=rng.choice(BIOS), region=rng.choice(REGIONS))
            )
            await container.accounts.set_avatar(
                uid,
                avatar_png(handle),
                max_bytes=settings.avatar_max_bytes,
                thumb=settings.thumb_side,
            )
            created += 1
            uids.append(uid)
        friends = await befriend(container, uids, rng)
        money = await fill_wallets(container.wallet, uids, password, rng)
        print(
            f"demo: {money['wallets']} wallets (payment PIN {DEMO_PIN}), {money['shops']} "
            f"shops, {money['payments']} payments, {money['transfers']} transfers"
        )
        blog = await fill_microblog(container.microblog, container.accounts, uids, rng)
        print(
            f"demo: a verified celebrity, {blog['follows']} follows, {blog['posts']} posts, "
            f"{blog['reposts']} reposts, {blog['comments']} comments, {blog['likes']} likes"
        )
        await install_examples(container, settings, password=password)
        print(
            "demo: mini-programs Dumpling House and City Utilities released "
            "(developer hutong_labs, reviewer hutong_review); `hutong serve` starts their backends"
        )
    finally:
        await container.stop()
    print(
        f"demo: {created} users and {friends} friendships created; "
        f"every demo password is {password!r}"
    )


GREETINGS = ["Hi, it's me!", "我们在茶馆见过", "From the badminton club", "你好，加个好友", ""]


async def befriend(container: Container, uids: list[int], rng: random.Random) -> int:
    """A few mutual friends each, and some requests left pending for "New friends"."""
    made = 0
    for a in tqdm(uids, desc="friends", unit="user"):
        # Three at most: new accounts may send 3 friend requests a minute (action_limits_new).
        for b in rng.sample(uids, min(3, len(uids))):
            if a == b:
                continue
            try:
                req = await container.contacts.requests.send(
                    a, b, source="handle", greeting=rng.choice(GREETINGS)
                )
                if req.status == "pending" and rng.random() < 0.85:
                    req = await container.contacts.requests.accept(b, req.id)
                made += req.status == "accepted"
            except HutongError:
                continue
    return made
