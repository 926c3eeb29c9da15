"""``tinyopt bench dist``: a tiny run on 1 and 2 ranks reports what it promises."""
import argparse
import json

import pytest

from tinyopt.bench import dist as bench_dist

from distributed_helpers import mpi_available

AVAILABLE, WHY = mpi_available()


@pytest.mark.skipif(not AVAILABLE, reason=WHY)
def test_bench_dist_reports_time_state_per_rank_and_bandwidth(capsys):
    bench_dist.main(argparse.Namespace(workers="1,2", hidden=16, batch_size=4, steps=1,
                                       json=True))
    one, two = json.loads(capsys.readouterr().out)
    assert (one["world_size"], two["world_size"]) == (1, 2)
    assert one["ddp_state_bytes"] == one["zero_state_bytes"] == 2 * 4 * one["parameters"]
    assert two["ddp_state_bytes"] == one["ddp_state_bytes"]
    assert two["zero_state_bytes"] <= one["zero_state_bytes"] / 2 + 3 * 2 * 4
    assert one["allreduce_bus_gb_s"] is None and two["allreduce_bus_gb_s"] > 0
    assert min(one["ddp_ms"], one["zero_ms"], two["ddp_ms"], two["zero_ms"]) > 0


@pytest.mark.parametrize("workers", ["", "1,x", "0", "2,-1"])
def test_bench_dist_rejects_bad_worker_lists(workers):
    with pytest.raises(SystemExit, match="--workers must be positive ints"):
        bench_dist.main(argparse.Namespace(workers=workers, hidden=4, batch_size=4, steps=1,
                                           json=True))
