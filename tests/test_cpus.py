"""Thread pools follow the container's CPU quota (cgroup v2 or v1), not the host's core count."""

from __future__ import annotations

import os
from pathlib import Path

from bot.cpus import available_cpus


def affinity() -> int:
    return len(os.sched_getaffinity(0))


def no_v1(tmp_path: Path) -> dict[str, Path]:
    return {"v1_quota": tmp_path / "none", "v1_period": tmp_path / "none"}


def test_no_quota_means_the_affinity_mask(tmp_path: Path) -> None:
    v2 = tmp_path / "cpu.max"
    v2.write_text("max 100000\n")
    assert available_cpus(v2=v2, **no_v1(tmp_path)) == affinity()


def test_v2_quota_caps_and_rounds_up(tmp_path: Path) -> None:
    v2 = tmp_path / "cpu.max"
    v2.write_text("150000 100000\n")  # docker run --cpus 1.5
    assert available_cpus(v2=v2, **no_v1(tmp_path)) == min(2, affinity())
    v2.write_text("10000 100000\n")  # a tenth of a CPU still gets one thread
    assert available_cpus(v2=v2, **no_v1(tmp_path)) == 1


def test_v1_quota(tmp_path: Path) -> None:
    quota, period = tmp_path / "quota", tmp_path / "period"
    quota.write_text("100000\n")
    period.write_text("100000\n")
    assert available_cpus(v2=tmp_path / "none", v1_quota=quota, v1_period=period) == 1
    quota.write_text("-1\n")  # unlimited
    assert available_cpus(v2=tmp_path / "none", v1_quota=quota, v1_period=period) == affinity()
