# Test app: every process forks forever; only the pids limit stops it.
import os, time

while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.01)
