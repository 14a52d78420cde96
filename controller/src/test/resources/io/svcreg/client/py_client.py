"""An independent client of the svcreg API (Python websockets), driven by PythonClientIT.

usage: py_client.py URL CA_FILE TOKEN header|auth SERVICE SINCE COUNT
Prints one JSON object per line: {"step": ..., "message": <what the server sent>}; the events of
an "events" message (several events of one revision) each as the "event" message it stands for.
"""
import asyncio
import json
import ssl
import sys

import websockets


async def main(url, cafile, token, mode, service, since, count):
    tls = ssl.create_default_context(cafile=cafile)
    kwargs = {}
    if mode == "header":
        major = int(websockets.__version__.split(".")[0])
        name = "additional_headers" if major >= 14 else "extra_headers"
        kwargs[name] = {"Authorization": "Bearer " + token}
    async with websockets.connect(url, ssl=tls, **kwargs) as ws:
        events = []
        counter = 0

        def out(step, message):
            print(json.dumps({"step": step, "message": message}), flush=True)

        def take(m):
            """Keeps the events of an event or events message (one whole revision), in order."""
            if m.get("type") == "event":
                events.append(m)
            elif m.get("type") == "events":
                events.extend({"type": "event", **e} for e in m["events"])

        async def call(action, params=None):
            nonlocal counter
            counter += 1
            rid = "py%d" % counter
            await ws.send(json.dumps({"id": rid, "type": "request", "action": action,
                                      "params": params or {}}))
            while True:
                m = json.loads(await ws.recv())
                if m.get("id") == rid:
                    return m
                take(m)

        if mode == "auth":
            out("before_auth", await call("server_info"))
            out("auth", await call("auth", {"token": token}))
        out("server_info", await call("server_info"))
        out("get_service", await call("get_service", {"name": service}))
        out("service_action", await call("service_action", {"name": service, "action": "bogus"}))
        out("subscribe", await call("subscribe", {"since": since}))
        while len(events) < count:
            take(json.loads(await ws.recv()))
        for m in events[:count]:
            out("event", m)


if __name__ == "__main__":
    a = sys.argv[1:]
    asyncio.run(main(a[0], a[1], a[2], a[3], a[4], int(a[5]), int(a[6])))
