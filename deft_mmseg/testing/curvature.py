"""A small network whose exact curvature is known: the reference for FisherTune's estimators in the
tests and in ``benchmarks/fishertune_estimate.py``."""
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from torch.func import functional_call, grad, hessian, vmap


def mlp_curvature_problem(dim, hidden, classes, num_samples, train_steps, teacher_hidden, seed=0):
    """A one-hidden-layer tanh MLP ``dim``-``hidden``-``classes`` trained ``train_steps`` full-batch
    SGD steps (lr 0.5) on the labels of a random teacher MLP (``teacher_hidden`` units): a partly
    trained point with a non-diagonal Hessian. Returns a namespace with ``net``, ``params``
    (detached copies), ``names``, ``x`` (num_samples, dim), ``y``, ``loss_at(weights, xb, yb)``
    (mean cross entropy), ``unflat(vector) -> weights``, ``flat0`` (the weights as one vector),
    ``exact_h`` (the exact Hessian diagonal of the loss over all samples, by ``torch.func.hessian``)
    and ``exact_f`` (the exact empirical Fisher diagonal: the mean squared per-sample gradient,
    by ``vmap``)."""
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(dim, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, classes))
    teacher = torch.nn.Sequential(
        torch.nn.Linear(dim, teacher_hidden), torch.nn.Tanh(),
        torch.nn.Linear(teacher_hidden, classes))
    x = torch.randn(num_samples, dim)
    with torch.no_grad():
        y = teacher(x).argmax(1)
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    for _ in range(train_steps):
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    params = {k: v.detach().clone() for k, v in net.named_parameters()}
    names = list(params)

    def unflat(vec):
        out, i = {}, 0
        for k in names:
            out[k] = vec[i:i + params[k].numel()].view_as(params[k])
            i += params[k].numel()
        return out

    def loss_at(weights, xb, yb):
        return F.cross_entropy(functional_call(net, weights, (xb, )), yb)

    flat0 = torch.cat([params[k].flatten() for k in names])
    exact_h = torch.diagonal(hessian(lambda v: loss_at(unflat(v), x, y))(flat0)).detach()
    per_sample = vmap(
        grad(lambda w, xi, yi: loss_at(w, xi[None], yi[None])), in_dims=(None, 0, 0))(params, x, y)
    exact_f = torch.cat([per_sample[k].pow(2).mean(0).flatten() for k in names])
    return SimpleNamespace(
        net=net,
        params=params,
        names=names,
        x=x,
        y=y,
        loss_at=loss_at,
        unflat=unflat,
        flat0=flat0,
        exact_h=exact_h,
        exact_f=exact_f)
