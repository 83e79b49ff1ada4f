"""The reference apps `http_baseline` measures Hutong against: the floor of the server stack.

`asgi_hello` is a raw ASGI callable (uvicorn + httptools + uvloop and nothing else);
`fastapi_hello` is a bare FastAPI app with one route (adds Starlette routing, FastAPI request
handling and response serialisation). Both answer a small JSON body at `/`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

_BODY = b'{"message":"hello","ok":true}'
_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(_BODY))],
}
_RESPONSE = {"type": "http.response.body", "body": _BODY}


async def asgi_hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send(_START)
    await send(_RESPONSE)


fastapi_hello = FastAPI()


@fastapi_hello.get("/")
async def hello() -> dict[str, Any]:
    return {"message": "hello", "ok": True}
