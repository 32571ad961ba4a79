"""Differentiate stage: graphs of derivatives, built from each op's VJP and JVP rules.

``reverse`` accumulates cotangents from outputs to inputs (``grad``, ``vjp``); ``forward``
pushes tangents from inputs to outputs (``jvp``); ``derived`` builds Jacobians, Hessians and
Hessian-vector products from those with batched seeds.
"""

from ..ops.control.common import register_passes
from .forward import push_forward
from .reverse import backpropagate, finish

register_passes(backpropagate, finish, push_forward)
