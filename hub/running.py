"""A hub worker in the foreground until SIGTERM (systemd's stop) or Ctrl-C."""
import signal
import threading


def run_until_stopped(worker, banner):
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    worker.start()
    print(banner, flush=True)
    stop.wait()
    worker.stop()
    return 0
