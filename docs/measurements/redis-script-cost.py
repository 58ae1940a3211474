#!/usr/bin/python3
"""Redis' own time per renewal for one renewal script, from INFO commandstats and Redis' CPU.

Used for docs/measurements/2026-12-01-redis-index-scores.md. It times Redis, not this client:
commandstats counts the microseconds Redis spent running each EVALSHA, and used_cpu_* the
server's CPU, so how fast this client sends does not enter the figures.

Needs a Redis on 127.0.0.1:PORT holding agents drone-000000000 .. drone-000099999 under the
prefix aeroarc:registry: (a registry on that Redis, then `registry-bench max --target ...`,
which registers 100 relays x 1,000 agents). Sends SCRIPTS calls of BATCH random agents each
(unfenced, TTL 1 h), 50 pipelined at a time, after one warm-up call.

usage: redis-script-cost.py SCRIPT.lua BATCH SCRIPTS [PRELUDE.lua] [PORT]
"""
import random
import re
import socket
import sys

RESOURCES = 'backend-redis/src/main/resources/io/aeroarc/registry/backend/redis/'


class Resp:
    def __init__(self, port):
        self.sock = socket.create_connection(('127.0.0.1', port))
        self.buf = b''

    @staticmethod
    def encode(*args):
        out = [b'*%d\r\n' % len(args)]
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            out.append(b'$%d\r\n%s\r\n' % (len(data), data))
        return b''.join(out)

    def _line(self):
        while b'\r\n' not in self.buf:
            self.buf += self.sock.recv(1 << 20)
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line

    def read(self):
        line = self._line()
        kind = line[:1]
        if kind in (b'+', b':'):
            return line[1:]
        if kind == b'-':
            raise RuntimeError(line.decode())
        if kind == b'$':
            n = int(line[1:])
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(1 << 20)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        n = int(line[1:])
        return None if n < 0 else [self.read() for _ in range(n)]

    def call(self, *args):
        self.sock.sendall(self.encode(*args))
        return self.read()

    def pipeline(self, commands):
        self.sock.sendall(b''.join(self.encode(*c) for c in commands))
        return [self.read() for _ in commands]


def server_time(redis):
    info = redis.call('INFO', 'all').decode()
    cpu = sum(float(re.search(name + r':([\d.]+)', info).group(1)) for name in ('used_cpu_user', 'used_cpu_sys'))
    stat = re.search(r'cmdstat_evalsha:calls=(\d+),usec=(\d+)', info)
    return cpu, (int(stat.group(1)), int(stat.group(2))) if stat else (0, 0)


def main():
    script, batch, scripts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    prelude = sys.argv[4] if len(sys.argv) > 4 else RESOURCES + 'prelude.lua'
    port = int(sys.argv[5]) if len(sys.argv) > 5 else 46379
    redis = Resp(port)
    sha = redis.call('SCRIPT', 'LOAD', open(prelude).read() + '\n' + open(script).read()).decode()
    agents = ['drone-%09d' % i for i in range(100_000)]
    rng = random.Random(1)

    def renewal_call():
        args = ['EVALSHA', sha, 0, 'aeroarc:registry:', '3600000']
        for _ in range(batch):
            args += [rng.choice(agents), '', '0']
        return args

    redis.call(*renewal_call())
    redis.call('CONFIG', 'RESETSTAT')
    cpu_before, _ = server_time(redis)
    sent = 0
    while sent < scripts:
        n = min(50, scripts - sent)
        redis.pipeline([renewal_call() for _ in range(n)])
        sent += n
    cpu_after, (calls, usec) = server_time(redis)
    renewals = scripts * batch
    print(f'{script.split("/")[-1]} batch {batch}: {usec / calls:.1f} us per script, {usec / renewals:.2f} us per renewal'
          f' (commandstats); Redis CPU {1e6 * (cpu_after - cpu_before) / renewals:.2f} us per renewal')


if __name__ == '__main__':
    main()
