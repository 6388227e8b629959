"""Runs a command in its own session and ends its whole process group when our stdin closes.

The bench starts Redis and the Celery worker through this, with a pipe as stdin. However
the bench ends (done, an exception, Ctrl-C, even kill -9), the pipe closes, and Redis and
every prefork child go with it: nothing is left running.

    python3 watchdog.py <command> [args...]
"""
import os
import signal
import subprocess
import sys
import threading


def main(argv):
    child = subprocess.Popen(argv, start_new_session=True)

    def end_group(*_):
        for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(child.pid, sig)
            except ProcessLookupError:
                return
            try:
                child.wait(grace)
                if sig == signal.SIGTERM:
                    # The leader is gone; stragglers of its group (prefork children) get SIGKILL.
                    try:
                        os.killpg(child.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                return
            except subprocess.TimeoutExpired:
                continue

    def watch_stdin():
        while sys.stdin.buffer.read(4096):
            pass
        end_group()
        os._exit(0)

    signal.signal(signal.SIGTERM, lambda *_: (end_group(), os._exit(0)))
    signal.signal(signal.SIGINT, lambda *_: (end_group(), os._exit(0)))
    threading.Thread(target=watch_stdin, daemon=True).start()
    code = child.wait()
    try:
        os.killpg(child.pid, signal.SIGKILL)  # whatever of its group outlived the leader
    except ProcessLookupError:
        pass
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main(sys.argv[1:])
