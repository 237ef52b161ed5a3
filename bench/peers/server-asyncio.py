# Python's echo server for the `servers` benchmarks (bench/README.md): plain
# asyncio (no uvloop), an asyncio.Protocol whose data_received writes the data
# back, as the asyncio documentation's echo server does. It binds
# 127.0.0.1:0, prints "ready PORT" and serves until it is killed; the C load
# generator measures it from outside.
import asyncio


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, '127.0.0.1', 0)
    print('ready', server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())
