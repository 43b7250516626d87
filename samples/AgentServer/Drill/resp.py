"""A minimal RESP client for the drills (standard library only): one connection to a Redis-protocol server (Garnet),
authenticated, commands in and replies out. Run as a script it sends one command and prints the reply:
python3 resp.py PORT PASSWORD CMD [ARG...]."""
import socket
import sys


class Resp:
    def __init__(self, port, password, host='127.0.0.1'):
        self._socket = socket.create_connection((host, port), timeout=5)
        self._file = self._socket.makefile('rb')
        self.cmd('AUTH', password)

    def cmd(self, *args):
        """Sends one command (str or bytes arguments); returns the reply: bytes, an int as bytes, a list, or None."""
        parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        self._socket.sendall(b''.join([b'*%d\r\n' % len(parts)] + [b'$%d\r\n%s\r\n' % (len(p), p) for p in parts]))
        return self._read()

    def _read(self):
        line = self._file.readline()
        kind, rest = line[:1], line[1:-2]
        if kind in b'+:':
            return rest
        if kind == b'-':
            raise SystemExit('error: ' + rest.decode())
        if kind == b'$':
            n = int(rest)
            return None if n < 0 else self._file.read(n + 2)[:-2]
        if kind == b'*':
            return [self._read() for _ in range(int(rest))]
        raise SystemExit(f'unexpected reply {line!r}')


if __name__ == '__main__':
    reply = Resp(int(sys.argv[1]), sys.argv[2]).cmd(*sys.argv[3:])
    print('\n'.join(x.decode() for x in reply) if isinstance(reply, list) else (reply or b'').decode())
