"""``tinyopt.distributed`` in one process (no ``mpiexec``): world size 1, and its checks.

The collectives then copy their input; the sampler follows PyTorch's
``DistributedSampler`` (lengths, padding, the dealt indices without
shuffling) for any number of replicas, given explicitly.
"""
import numpy
import pytest

import tinyopt
from tinyopt import distributed as dist
from tinyopt import nn, optim
from tinyopt.data import DataLoader, TensorDataset
from tinyopt.distributed.ddp import gradient_buckets

from distributed_helpers import BATCH, train, weights_of


def test_one_process_is_rank_0_of_1_and_collectives_copy():
    assert dist.init() == 1 and dist.rank() == 0 and dist.world_size() == 1
    x = numpy.arange(6.0)
    for result in (dist.all_reduce(x), dist.all_reduce(x, op="mean"), dist.reduce_scatter(x),
                   dist.all_gather(x), dist.broadcast(x)):
        assert result is not x
        numpy.testing.assert_array_equal(result, x)
    dist.barrier()


def test_collectives_reject_bad_input():
    with pytest.raises(ValueError, match="op must be"):
        dist.all_reduce(numpy.ones(2), op="prod")
    with pytest.raises(TypeError, match="pass tensor.array"):
        dist.all_reduce(tinyopt.tensor([1.0]))
    with pytest.raises(ValueError, match="src must be a rank in"):
        dist.broadcast(numpy.ones(2), src=1)
    with pytest.raises(ValueError, match="1-D array"):
        dist.reduce_scatter(numpy.ones((2, 2)))
    with pytest.raises(ValueError, match="out must be"):
        dist.all_reduce(numpy.ones(2), out=numpy.ones(3))


@pytest.mark.parametrize("n, replicas, drop_last", [(10, 3, False), (10, 3, True), (2, 4, False),
                                                    (12, 4, False), (12, 4, True), (7, 2, True)])
def test_sampler_deals_like_pytorch(n, replicas, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    dataset = list(range(n))
    for rank in range(replicas):
        ours = dist.DistributedSampler(dataset, replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = torch_data.DistributedSampler(dataset, replicas, rank, shuffle=False,
                                               drop_last=drop_last)
        assert len(ours) == len(theirs)
        assert list(ours) == list(theirs)


def test_sampler_shuffles_by_seed_and_epoch_and_covers_the_data():
    dataset = list(range(11))
    samplers = [dist.DistributedSampler(dataset, 3, rank, seed=5) for rank in range(3)]
    epoch0 = [list(s) for s in samplers]
    assert sorted(sum(epoch0, []))[:11] == sorted(set(sum(epoch0, [])))  # every index, padded
    assert set(sum(epoch0, [])) == set(dataset) and len(sum(epoch0, [])) == 12
    assert [list(s) for s in samplers] == epoch0  # same epoch, same order
    for s in samplers:
        s.set_epoch(1)
    epoch1 = [list(s) for s in samplers]
    assert epoch1 != epoch0 and set(sum(epoch1, [])) == set(dataset)
    assert list(dist.DistributedSampler(dataset, 3, 0, seed=6)) != epoch0[0]


def test_sampler_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Invalid rank 3"):
        dist.DistributedSampler([1, 2], num_replicas=3, rank=3)
    with pytest.raises(ValueError, match="num_replicas"):
        dist.DistributedSampler([1, 2], num_replicas=0, rank=0)
    with pytest.raises(ValueError, match="seed"):
        dist.DistributedSampler([1, 2], seed=-1)
    with pytest.raises(ValueError, match="epoch"):
        dist.DistributedSampler([1, 2]).set_epoch(-1)


def test_loader_reads_the_samplers_indices():
    x = numpy.arange(20.0).reshape(10, 2)
    dataset = TensorDataset(x, numpy.arange(10))
    sampler = dist.DistributedSampler(dataset, num_replicas=3, rank=1, seed=0)
    loader = DataLoader(dataset, batch_size=2, sampler=sampler)
    assert len(loader) == 2
    labels = numpy.concatenate([y.array for _, y in loader])
    assert labels.tolist() == list(sampler)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(dataset, sampler=sampler, shuffle=True)
    with pytest.raises(TypeError, match="sampler must define"):
        DataLoader(dataset, sampler=3)


def test_ddp_no_sync_accumulates_as_one_backward():
    whole, _ = train("plain", "AdamW", "float64", 2 * BATCH)
    halves, _ = train("ddp_no_sync", "AdamW", "float64", 2 * BATCH)
    for a, b in zip(weights_of(whole), weights_of(halves)):
        numpy.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "AdamW", "LAMB", "LARS"])
def test_zero_on_one_process_equals_the_optimizer_with_the_numba_executor(name):
    plain, _ = train("plain", name, "float32", BATCH, executor="numba")
    zero, _ = train("zero", name, "float32", BATCH, executor="numba")
    for a, b in zip(weights_of(plain), weights_of(zero)):
        numpy.testing.assert_array_equal(a, b)  # the same rule on the same numbers, in pieces


def test_ddp_rejects_bad_input():
    with pytest.raises(ValueError, match="bucket_cap_mb"):
        dist.DistributedDataParallel(nn.Linear(2, 2), bucket_cap_mb=0)
    with pytest.raises(TypeError, match="tinyopt.nn.Module"):
        dist.DistributedDataParallel(lambda x: x)
    model = dist.DistributedDataParallel(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="an input requires grad"):
        model(tinyopt.tensor([[1.0, 2.0]], requires_grad=True))


def test_buckets_hold_about_the_cap_in_reverse_order():
    params = [nn.Parameter(numpy.ones(n)) for n in (4, 4, 4, 10)]
    for p in params:
        p.grad = tinyopt.tensor(numpy.ones(p.shape))
    buckets = gradient_buckets(params, bucket_bytes=64)  # 8 float64
    assert [[p.shape[0] for p in bucket] for bucket in buckets] == [[10], [4, 4], [4]]


@pytest.mark.parametrize("name", ["Adafactor", "Adam8bit"])
def test_zero_refuses_optimizers_that_need_whole_tensors(name):
    with pytest.raises(ValueError, match="not supported under ZeRO"):
        dist.ZeroRedundancyOptimizer(nn.Linear(2, 2).parameters(), getattr(optim, name))


def test_zero_checks_its_arguments_before_anything():
    with pytest.raises(TypeError, match="optimizer_class must be"):
        dist.ZeroRedundancyOptimizer(nn.Linear(2, 2).parameters(), "AdamW")
    with pytest.raises(ValueError):
        dist.ZeroRedundancyOptimizer(nn.Linear(2, 2).parameters(), optim.AdamW, lr=-1.0)


@pytest.mark.parametrize("name", ["AdamW", "LAMB"])
def test_zero_add_param_group_steps_like_the_optimizers(name):
    from distributed_helpers import OPTIMIZERS, data, make_model
    optimizer_class, options = OPTIMIZERS[name]
    runs = []
    for sharded in (False, True):
        model = make_model("float64")
        first, second = model[0], model[2]
        make = dist.ZeroRedundancyOptimizer if sharded else \
            (lambda params, cls, **kwargs: cls(params, **kwargs))
        optimizer = make(first.parameters(), optimizer_class, **options)
        x, y = data("float64", 8)
        for step in range(4):
            if step == 2:
                optimizer.add_param_group({"params": list(second.parameters()), "lr": 3e-3})
            optimizer.zero_grad()
            nn.functional.mse_loss(model(tinyopt.tensor(x)), tinyopt.tensor(y)).backward()
            optimizer.step()
        runs.append((weights_of(model), optimizer.state_dict()))
    (plain, plain_state), (zero, zero_state) = runs
    for got, want in zip(zero, plain):
        numpy.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert zero_state["param_groups"][1]["lr"] == 3e-3 and len(zero_state["state"]) == 4
    with pytest.raises(ValueError, match="mixes dtypes"):
        optimizer.add_param_group({"params": [nn.Parameter(numpy.ones(2)),
                                              nn.Parameter(numpy.ones(2, numpy.float32))]})
    assert len(optimizer.param_groups) == 2
