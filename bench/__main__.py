"""Run every benchmark and refresh docs/performance.md: `python -m bench` (or `make bench`)."""

from __future__ import annotations

from bench import bench_api, bench_check, bench_dashboard, bench_list, bench_workflow


def main() -> None:
    """Run all benchmark modules in turn."""
    for module in (bench_check, bench_api, bench_list, bench_workflow, bench_dashboard):
        module.run()


if __name__ == "__main__":
    main()
