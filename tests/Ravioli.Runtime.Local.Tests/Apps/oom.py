# Test app: touches memory until the cgroup's OOM killer ends it.
import time

hoard = []
while True:
    hoard.append(b"\x01" * (8 * 1024 * 1024))
    print("holding %d MiB" % (8 * len(hoard)), flush=True)
    time.sleep(0.02)
