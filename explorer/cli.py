"""Command-line entry: start the app under `panel serve` and print its local URL."""

import argparse
import os
import subprocess
import sys


def serve(argv=None):
    """Run ``panel serve`` on the app; extra arguments go to panel serve."""
    parser = argparse.ArgumentParser(description="Start the analog AI weight-encoding explorer.")
    parser.add_argument("--port", type=int, default=5006, help="TCP port (default 5006)")
    parser.add_argument("--address", default="localhost", help="address to bind (default localhost)")
    parser.add_argument("--num-threads", type=int, default=4,
                        help="threads for session callbacks, so sessions do not wait on each other")
    args, rest = parser.parse_known_args(argv)
    app = os.path.join(os.path.dirname(__file__), "app.py")
    url = f"http://{args.address}:{args.port}/app"
    print(f"Analog AI weight-encoding explorer: open {url}", flush=True)
    cmd = [sys.executable, "-m", "panel", "serve", app, "--port", str(args.port),
           "--address", args.address, "--num-threads", str(args.num_threads),
           "--allow-websocket-origin", f"{args.address}:{args.port}", *rest]
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(serve())
