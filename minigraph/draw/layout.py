"""Where nodes go: time left to right, one column per timestep, fixed rows bottom to top.

Every step of an unrolled graph is built the same way, so a node's row is its depth inside
its own step (the longest path from the step's inputs); all nodes of one depth share a
graphviz rank and are chained left to right in time order by invisible edges. Inputs of a
step that come from outside it sit one row below their first reader; an LSTM cell state
tagged ``belt`` stays on its cell's row, so c_t runs straight through the cells. Untimed
nodes read by the steps (parameters, initial states, whole sequences) go at the left end
of their row; untimed nodes that gather the steps (the total loss) at the top right.
"""


class Layout:
    """Rows and order for the drawn nodes. ``inputs[id]`` are the drawn inputs of a node
    (views already folded away); ``columns`` the steps shown, in order; ``extra`` maps
    (step, row-depth-hint node) pairs for a summary node of hidden steps."""

    def __init__(self, drawn, inputs, columns):
        self.drawn = drawn
        self.inputs = inputs
        self.columns = columns
        self.step_of = {n.id: n.tags.get("t") for n in drawn if n.tags.get("t") in columns}
        self.users = {n.id: [] for n in drawn}
        for n in drawn:
            for i in inputs[n.id]:
                self.users[i.id].append(n)
        self.by_step = {t: sorted((n for n in drawn if self.step_of.get(n.id) == t),
                                  key=lambda n: n.id) for t in columns}
        self.depth = {}
        for t in columns:
            self._depths(self.by_step[t])
        self.initial = self._initial_states()
        self.block, self.right = self._untimed_places()

    def _depths(self, step_nodes):
        ids = {n.id for n in step_nodes}
        depth = self.depth
        for n in step_nodes:  # ids grow in build order, so inputs come first
            inside = [depth[i.id] for i in self.inputs[n.id] if i.id in ids]
            depth[n.id] = 1 + max(inside) if inside else 0
        for n in step_nodes:
            inside = [depth[i.id] for i in self.inputs[n.id] if i.id in ids]
            if n.tags.get("belt") and inside:
                depth[n.id] = max(inside)
        below = {}  # sources already placed under each reader: stack the next one lower
        for n in step_nodes:
            readers = [u for u in self.users[n.id] if u.id in ids]
            if readers and not any(i.id in ids for i in self.inputs[n.id]):
                first = min(readers, key=lambda u: depth[u.id])
                depth[n.id] = depth[first.id] - 1 - (below.get(first.id, 0)
                                                     if n.dtype.kind != "f" else 0)
                below[first.id] = below.get(first.id, 0) + 1

    def counterpart(self, node, step):
        """The node in ``step`` built at the same place as ``node`` in its own step."""
        mine = self.by_step[self.step_of[node.id]]
        theirs = self.by_step[step]
        index = next(i for i, n in enumerate(mine) if n.id == node.id)
        if index < len(theirs) and type(theirs[index].op) is type(node.op):
            return theirs[index]
        return None

    def _initial_states(self):
        """Untimed nodes that the first step reads where later steps read the previous
        step's state (h0, c0, a carried-in state): node id -> the row of that state."""
        if len(self.columns) < 2:
            return {}
        first, second = self.columns[0], self.columns[1]
        found = {}
        for n in self.drawn:
            if n.id in self.step_of or n.kind == "param":
                continue
            for user in self.users[n.id]:
                if self.step_of.get(user.id) != first:
                    continue
                twin = self.counterpart(user, second)
                if twin is None:
                    continue
                for mine, theirs in zip(self.inputs[user.id], self.inputs[twin.id]):
                    if mine.id == n.id and self.step_of.get(theirs.id) == first:
                        found[n.id] = self.depth[theirs.id]
        return found

    def _untimed_places(self, per_row=4):
        """Untimed nodes on the input side (parameters, whole sequences, what an initial
        state is made from) form rows under the steps, nearest first, at most ``per_row`` to
        a row; data only the losses read (targets, masks) goes above; untimed nodes that
        gather the steps (the total loss) go to the top right. Returns (rows of the block,
        bottom last; the gatherers)."""
        right = [n for n in self.drawn if n.id not in self.step_of and n.id not in self.initial
                 and any(i.id in self.step_of for i in self.inputs[n.id])]
        placed = set(self.step_of) | set(self.initial)
        top = max(self.depth.values(), default=0)
        self.targets = [n for n in self.drawn if n.id not in placed and n not in right
                        and n.dtype.kind != "f" and self.users[n.id]
                        and all(self.depth.get(u.id) == top for u in self.users[n.id])]
        level = {}
        for n in sorted(self.drawn, key=lambda n: -n.id):  # readers before what they read
            if n.id in placed or n in right or n in self.targets:
                continue
            readers = [0 if u.id in placed else level.get(u.id) for u in self.users[n.id]]
            readers = [r for r in readers if r is not None]
            if readers:
                level[n.id] = 1 + min(readers)
        block = []
        for depth in sorted(set(level.values())):
            kind = {n.id: n.kind for n in self.drawn}
            ids = sorted((i for i in level if level[i] == depth),
                         key=lambda i: (kind[i] == "param", i))  # data first, then weights
            block += [ids[k:k + per_row] for k in range(0, len(ids), per_row)]
        return block, right

    def rows(self):
        """{row depth: [node ids, left to right]}: initial states first, then the steps in
        time order."""
        rows = {}
        self.row_of = {**self.initial,
                       **{n.id: self.depth[n.id] for t in self.columns for n in self.by_step[t]}}
        for i in sorted(self.initial):
            rows.setdefault(self.initial[i], []).append(str(i))
        for t in self.columns:
            for n in self.by_step[t]:
                rows.setdefault(self.depth[n.id], []).append(str(n.id))
        return rows

    def row(self, node):
        """The row of a node placed in a row (data read only by the losses: above all)."""
        if node in self.targets:
            return float("inf")
        return getattr(self, "row_of", {}).get(node.id, float("-inf"))

    def same_row(self, source, target):
        """True for an edge drawn flat along one row (its label must be an xlabel)."""
        rows = getattr(self, "row_of", {})
        return source.id in rows and rows.get(source.id) == rows.get(target.id)

    def top_of_column(self, t):
        nodes = self.by_step[t]
        return max(nodes, key=lambda n: (self.depth[n.id], n.id)) if nodes else None

    def cross_step(self, source, target):
        """True for an edge that must not pull rows apart: between steps, or from an
        initial state down into the first step."""
        a, b = self.step_of.get(source.id), self.step_of.get(target.id)
        return ((a is not None and b is not None and a != b) or source.id in self.initial
                or source in self.targets)

    def in_block(self, node):
        return any(node.id in row for row in self.block)
