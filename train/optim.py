"""Optimizers and learning-rate schedules: update parameters in place from their gradients."""

from __future__ import annotations

import math

import numpy as np


class SGD:
    """Plain stochastic gradient descent (the ancestor's), with optional momentum."""

    def __init__(self, params: list[np.ndarray], momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        self.momentum, self.weight_decay = momentum, weight_decay
        self.velocity = [np.zeros_like(p) for p in params] if momentum else None

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
        """p <- p - lr * (g + decay * p), through a velocity when momentum is on."""
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            if self.weight_decay and p.ndim > 1:
                g = g + self.weight_decay * p
            if self.velocity is not None:
                v = self.velocity[i]
                v *= self.momentum
                v -= lr * g
                p += v
            else:
                p -= lr * g


class Adam:
    """Adam (Kingma & Ba 2015) with decoupled weight decay (AdamW) on the weight matrices.

    The update runs in place through one scratch buffer per parameter: a step allocates
    nothing, which matters because it touches every weight once per mini-batch.
    """

    def __init__(self, params: list[np.ndarray], beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        self.beta1, self.beta2, self.eps, self.weight_decay = beta1, beta2, eps, weight_decay
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.scratch = [np.empty_like(p) for p in params]
        self.t = 0

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
        """One bias-corrected Adam update of every parameter."""
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step = lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for p, g, m, v, s in zip(params, grads, self.m, self.v, self.scratch, strict=True):
            np.subtract(g, m, out=s)  # m <- b1 m + (1 - b1) g = m + (1 - b1)(g - m)
            s *= 1 - b1
            m += s
            np.multiply(g, g, out=s)  # v <- v + (1 - b2)(g^2 - v)
            s -= v
            s *= 1 - b2
            v += s
            if self.weight_decay and p.ndim > 1:
                p *= 1 - lr * self.weight_decay
            np.sqrt(v, out=s)  # p <- p - step m / (sqrt(v) + eps)
            s += self.eps
            np.divide(m, s, out=s)
            s *= step
            p -= s


def make_optimizer(name: str, params: list[np.ndarray], momentum: float = 0.9,
                   weight_decay: float = 0.0) -> SGD | Adam:
    """'sgd', 'momentum' or 'adam'."""
    if name == "sgd":
        return SGD(params, 0.0, weight_decay)
    if name == "momentum":
        return SGD(params, momentum, weight_decay)
    if name == "adam":
        return Adam(params, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r} (sgd, momentum, adam)")


def learning_rate(schedule: str, base: float, progress: float) -> float:
    """The rate at ``progress`` in [0, 1) of training: 'constant', 'cosine' or 'linear' decay."""
    if schedule == "constant":
        return base
    if schedule == "cosine":
        return base * 0.5 * (1 + math.cos(math.pi * progress))
    if schedule == "linear":
        return base * (1 - progress)
    raise ValueError(f"unknown schedule {schedule!r} (constant, cosine, linear)")


def max_norm(weights: list[np.ndarray], limit: float) -> None:
    """Scale each row (a neuron's incoming weights) down to L2 norm <= limit (Srivastava 2014)."""
    for w in weights[:-1]:
        norms = np.linalg.norm(w, axis=1, keepdims=True)
        np.multiply(w, np.minimum(1.0, limit / np.maximum(norms, 1e-12)), out=w)
