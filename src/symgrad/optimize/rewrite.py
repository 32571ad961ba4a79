"""The one rewrite driver every pass uses.

A pass is a table of *rules*, each a function from a node (whose inputs are already
rewritten) to a replacement, or ``None`` to keep it, and each filed under the op classes it
can match. The driver walks the graph once, inputs before users, whatever the number of
passes: at each node it looks up the rules of the node's op class (once per class), applies
them until none has anything more to say, and rewrites what a replacement newly built the
same way before going on. So the result is the same as running the passes one after the
other until nothing changes, at the cost of one walk.

A replacement must have the node's shape and dtype, or it is refused: rewrites can only
change how a value is computed, never what it is. Control-flow bodies are rewritten by the
same rules.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Container, Sequence

from ..core.expr import Expr
from ..core.gc_pause import paused_gc
from ..ops.base import Op
from ..ops.subgraph import Body, MultiOutput

Rule = Callable[[Expr], "Expr | None"]
#: What a rule is filed under: an op class (and its subclasses), or a test on op classes.
Match = type[Op] | Callable[[type[Op]], bool]
MAX_STEPS = 8  # rules applied to one node, at most (each step makes it simpler)


class Pass:
    """A named rewrite pass: its rules, each with the op classes it applies to and, where
    the rule needs one, the op classes of which at least one input must be (a rule for
    ``x + (-y)`` is only tried on additions that read a negation).

    A pass is itself a rule (the first of its rules that has a replacement), so
    ``rewrite(outputs, simplify)`` runs one pass.
    """

    def __init__(
        self,
        name: str,
        rules: Sequence[tuple[Match, Rule] | tuple[Match, Rule, tuple[type[Op], ...]]],
    ):
        self.name = name
        self.__name__ = name
        self.rules = tuple(
            (entry[0], entry[1], entry[2] if len(entry) > 2 else None) for entry in rules
        )
        self._by_kind: dict[tuple[type[Op], ...], tuple[Rule, ...]] = {}

    def rules_for(self, kind: tuple[type[Op], ...]) -> tuple[Rule, ...]:
        """The rules that can match a node of ``kind`` (its op class, then its inputs' op
        classes), in the pass's order."""
        found = self._by_kind.get(kind)
        if found is None:
            op_class, inputs = kind[0], kind[1:]
            found = tuple(
                rule
                for match, rule, reads in self.rules
                if _matches(match, op_class)
                and (reads is None or any(issubclass(t, reads) for t in inputs))
            )
            self._by_kind[kind] = found
        return found

    def __call__(self, node: Expr) -> Expr | None:
        for rule in self.rules_for(kind_of(node)):
            replacement = rule(node)
            if replacement is not None and replacement is not node:
                return replacement
        return None

    def __repr__(self) -> str:
        return f"<Pass {self.name}: {len(self.rules)} rules>"


def kind_of(node: Expr) -> tuple[type[Op], ...]:
    """The op class of ``node``, then those of its inputs: what selects the rules to try."""
    inputs = node.inputs
    if len(inputs) == 2:  # most nodes: no generator
        return (type(node.op), type(inputs[0].op), type(inputs[1].op))
    if len(inputs) == 1:
        return (type(node.op), type(inputs[0].op))
    return (type(node.op), *[type(x.op) for x in inputs])


def _matches(match: Match, op_class: type[Op]) -> bool:
    if isinstance(match, type):
        return issubclass(op_class, match)
    return bool(match(op_class))


class Substitution:
    """Nodes to replace before they are rewritten (their own inputs are then never
    visited): ``ids`` says cheaply which nodes may have a replacement, and
    :meth:`replacement` makes it. Subclasses say what to replace."""

    ids: Container[int] = ()

    def replacement(self, node: Expr, rewriter: Rewriter) -> Expr | None:
        """The node to rewrite in place of ``node``, or ``None``; ``rewriter`` is the one
        asking (passed rather than held, so no reference cycle keeps it and every node it
        rewrote alive)."""
        return None


class Rewriter:
    """Rewrites graphs with the rules of ``passes`` (in the order given), remembering each
    node's rewritten form, so graphs sharing nodes are rewritten once.

    ``tracked``, one of the passes, has its rewrites followed: :meth:`changed_by_tracked`
    tells whether one of its rules (or a substitution) rewrote something in the graph of a
    rewritten node.
    ``visits`` counts the nodes rewritten and ``attempts`` the rules tried, so tests can
    check that the work is linear in the size of the graph.
    """

    def __init__(
        self,
        passes: Sequence[Pass],
        substitution: Substitution | None = None,
        tracked: Pass | None = None,
    ):
        self.passes = tuple(passes)
        self.substitution = substitution
        self.visits = 0
        self.attempts = 0
        #: Whether a control-flow node was met (whose outputs ``prune`` may then drop).
        self.saw_control_flow = False
        # id(node) -> its rewritten form; a rewritten form maps to itself. Every node whose
        # id is a key is kept alive (by the graph, by this dict or by ``_keep``), so ids are
        # never reused while the rewriter lives.
        self._done: dict[int, Expr] = {}
        self._keep: list[Expr] = []
        self._rules: dict[tuple[type[Op], ...], tuple[Rule, ...]] = {}
        self._tracked_rules = frozenset(entry[1] for entry in tracked.rules) if tracked else None
        self._touched: set[int] = set()  # rewritten forms with a tracked rewrite in their graph

    @paused_gc()
    def run(self, outputs: Sequence[Expr]) -> list[Expr]:
        """``outputs``, rewritten."""
        self._walk(outputs)
        return [self._done[id(o)] for o in outputs]

    def changed_by_tracked(self, rewritten: Expr) -> bool:
        """Whether a rule of the tracked pass rewrote a node of the graph of ``rewritten``
        (a result of :meth:`run`)."""
        return id(rewritten) in self._touched

    def _rules_for(self, kind: tuple[type[Op], ...]) -> tuple[Rule, ...]:
        found = self._rules.get(kind)
        if found is None:
            found = self._rules[kind] = tuple(
                rule for p in self.passes for rule in p.rules_for(kind)
            )
        return found

    def _walk(self, roots: Sequence[Expr]) -> None:
        """Rewrite every node ``roots`` depend on that is not rewritten yet, inputs first
        (a depth-first walk with an explicit stack: no recursion over the graph)."""
        done = self._done
        rewrite_ = self._rewrite
        substitutable = None if self.substitution is None else self.substitution.ids
        for root in roots:
            if id(root) in done or (
                substitutable is not None and id(root) in substitutable and self._substituted(root)
            ):
                continue
            stack = [(root, iter(root.inputs))]
            push, pop = stack.append, stack.pop
            if substitutable is None:  # (the loop below without substitutions: most walks)
                while stack:
                    node, children = stack[-1]
                    for child in children:
                        if id(child) not in done:
                            push((child, iter(child.inputs)))
                            break
                    else:
                        pop()
                        done[id(node)] = rewrite_(node)
                continue
            while stack:
                node, children = stack[-1]
                for child in children:
                    if id(child) not in done and (
                        id(child) not in substitutable or not self._substituted(child)
                    ):
                        push((child, iter(child.inputs)))
                        break
                else:
                    pop()
                    done[id(node)] = rewrite_(node)

    def _substituted(self, node: Expr) -> bool:
        """If ``node`` has a substitute, rewrite that in its place and say so."""
        assert self.substitution is not None
        replacement = self.substitution.replacement(node, self)
        if replacement is None or replacement is node:
            return False
        self._keep.append(replacement)
        self._walk([replacement])
        rewritten = self._done[id(node)] = self._done[id(replacement)]
        if self._tracked_rules is not None:
            self._touched.add(id(rewritten))  # substitutions count as tracked rewrites
        return True

    def _rebuilt(self, node: Expr) -> Expr:
        """``node`` on the rewritten forms of its inputs (which must all be known)."""
        inputs = node.inputs
        if not inputs:
            return node
        done = self._done
        new = tuple([done[id(x)] for x in inputs])
        if all(map(operator.is_, new, inputs)):
            return node
        return node.op(*new)

    def _rewrite(self, node: Expr) -> Expr:
        """The rewritten form of ``node``, whose inputs are rewritten already."""
        self.visits += 1
        inputs = node.inputs
        done = self._done
        if len(inputs) == 2:  # most nodes: spelled out, as this runs once per node
            a, b = inputs
            new_a, new_b = done[id(a)], done[id(b)]
            current = node if new_a is a and new_b is b else node.op(new_a, new_b)
            touched = self._touched
            if touched and (id(new_a) in touched or id(new_b) in touched):
                touched.add(id(current))
        elif inputs:
            new = tuple([done[id(x)] for x in inputs])
            current = node if all(map(operator.is_, new, inputs)) else node.op(*new)
            touched = self._touched
            if touched and any(id(x) in touched for x in new):
                touched.add(id(current))
        else:
            current = node
        if isinstance(current.op, MultiOutput):
            current = self._with_bodies(current)
        else:
            kind = kind_of(current)
            rules = self._rules.get(kind)
            if rules is None:
                rules = self._rules_for(kind)
            if rules:
                current = self._apply(current, rules)
        if current is not node:
            self._keep.append(node)
            done[id(current)] = current
        return current

    def _apply(self, current: Expr, rules: tuple[Rule, ...]) -> Expr:
        """``current`` (on rewritten inputs) rewritten until no rule applies."""
        done = self._done
        attempts = 0
        for _ in range(MAX_STEPS):
            for rule in rules:
                attempts += 1
                replacement = rule(current)
                if replacement is not None and replacement is not current:
                    break
            else:
                break  # no rule has anything more to say
            if replacement.shape != current.shape or replacement.dtype != current.dtype:
                raise AssertionError(
                    f"rewrite {getattr(rule, '__name__', rule)} changed {current!r} "
                    f"into {replacement!r}"
                )
            tracked = self._tracked_rules is not None and (
                rule in self._tracked_rules or id(current) in self._touched
            )
            known = done.get(id(replacement))
            if known is not None:
                current = known
            else:
                # What the rule newly built is rewritten too, before the rules see it.
                self._keep.append(replacement)
                self._walk(replacement.inputs)
                current = self._rebuilt(replacement)
                tracked = tracked or any(id(x) in self._touched for x in current.inputs)
            if tracked:
                self._touched.add(id(current))
            if known is not None:
                break
            if isinstance(current.op, MultiOutput):
                current = self._with_bodies(current)
                break
            rules = self._rules_for(kind_of(current))
        self.attempts += attempts
        return current

    def _with_bodies(self, node: Expr) -> Expr:
        """A control-flow node with its bodies rewritten by the same rules (a multi-output
        op without bodies, a decomposition, is kept as it is)."""
        op = node.op
        assert isinstance(op, MultiOutput)
        old = op.bodies()
        if not old:
            return node
        self.saw_control_flow = True
        new = {}
        for name, body in old.items():
            self._walk(body.results)
            new[name] = Body(body.params, tuple(self._done[id(r)] for r in body.results))
        if all(_same(new[k].results, b.results) for k, b in old.items()):
            return node
        rebuilt = op.with_bodies(new)(*node.inputs)
        if self._tracked_rules is not None and any(
            id(r) in self._touched for b in new.values() for r in b.results
        ):
            self._touched.add(id(rebuilt))
        return rebuilt


def _same(xs: Sequence[Expr], ys: Sequence[Expr]) -> bool:
    return len(xs) == len(ys) and all(map(operator.is_, xs, ys))


def rewrite(outputs: Sequence[Expr], rules: Pass | Sequence[Pass]) -> list[Expr]:
    """``outputs`` with the rules of one pass (or several, in order) applied to every node
    they depend on."""
    passes = [rules] if isinstance(rules, Pass) else list(rules)
    return Rewriter(passes).run(outputs)
