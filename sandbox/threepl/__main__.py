"""``python -m sandbox.threepl MAILBOX_ROOT``: run the warehouse on a folder until Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import time
from decimal import Decimal

from sandbox.threepl.simulator import ThreePLSimulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.threepl", description=__doc__)
    parser.add_argument("root", help="mailbox root folder (holds to_3pl/ and from_3pl/)")
    parser.add_argument("--warehouse", default="3PL1")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between ticks")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds from pick-up to shipment")
    parser.add_argument(
        "--partial-rate", type=float, default=0.0, help="share of requests shipped in two parts"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stock", nargs="*", default=None, metavar="SKU=QTY", help="ship at most this stock")
    parser.add_argument(
        "--inventory-every", type=float, default=0.0, help="seconds between snapshots (0: none)"
    )
    args = parser.parse_args(argv)
    stock = None
    if args.stock is not None:
        stock = {sku: Decimal(qty) for sku, _, qty in (item.partition("=") for item in args.stock)}
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    warehouse = ThreePLSimulator(
        args.root,
        warehouse=args.warehouse,
        delay_s=args.delay,
        partial_rate=args.partial_rate,
        seed=args.seed,
        stock=stock,
    )
    last_snapshot = time.monotonic()
    try:
        while True:
            report = warehouse.tick()
            for name in report.picked + report.written + report.refused:
                logging.info("%s", name)
            if (
                stock is not None
                and args.inventory_every
                and time.monotonic() - last_snapshot >= args.inventory_every
            ):
                logging.info("%s", warehouse.send_inventory())
                last_snapshot = time.monotonic()
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
