"""Runs a program on a pseudo-terminal like a person at a console window: waits for the
prompt, types an answer, waits for "Press Enter", presses it. Prints JSON: exit code and
everything the program wrote. Usage: pty_session.py PROGRAM ANSWER [--ctrl-c-at-prompt]
(then Ctrl-C is typed at the prompt instead of the answer)."""
import json
import os
import pty
import select
import sys
import time

program, answer = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(program, [program])

transcript = b""


def read_until(token, timeout):
    global transcript
    end = time.time() + timeout
    while token not in transcript:
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.time()))
        if not ready:
            raise SystemExit("timed out waiting for %r; got %r" % (token, transcript))
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b""
        if not chunk:
            raise SystemExit("ended before %r; got %r" % (token, transcript))
        transcript += chunk


interrupt = sys.argv[3:] == ["--ctrl-c-at-prompt"]
read_until(b"> ", 30)
if interrupt:
    os.write(fd, b"\x03")
else:
    os.write(fd, answer.encode() + b"\r")
    read_until(b"Press Enter", 60)
    os.write(fd, b"\r")
end = time.time() + 60
while True:
    ready, _, _ = select.select([fd], [], [], max(0.0, end - time.time()))
    if not ready:
        os.kill(pid, 9)
        transcript += b"\n[pty_session: no end within 60 s; killed]"
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    transcript += chunk
_, status = os.waitpid(pid, 0)
print(json.dumps({"code": os.waitstatus_to_exitcode(status),
                  "transcript": transcript.decode("utf-8", "replace")}))
