"""Differentiate stage: graphs of derivatives, built from each op's VJP and JVP rules.

``reverse`` accumulates cotangents from outputs to inputs (``grad``, ``vjp``); ``forward``
pushes tangents from inputs to outputs (``jvp``); ``derived`` builds Jacobians, Hessians and
Hessian-vector products from those with batched seeds.
"""
