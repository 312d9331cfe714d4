"""More of PyTorch's Tensor methods: predicates, casts, elementwise, in place, products, pieces.

The mixins below are bases of `Tensor`, each one concern in one module: `extra` (predicates,
sizes, casts and aliases), `elem` (elementwise functions), `updates` (elementwise functions in
place), `products` (vector and scaled products), `matrices` (powers, determinants, inverse),
`counts` (unique values, counts, histograms, covariances), `orders` (order statistics and
quantiles), `pieces` (turns, splits, windows), `places` (writes by position) and `fills`
(the diagonal fill and random draws). Every method is written out, composed of the ops and of
the methods the Tensor already has; the top-level functions of the same names (`tg.rot90`,
`tg.unique`, `tg.cov`, ...) call them.
"""

from __future__ import annotations

from .counts import TensorCountMethods
from .elem import TensorElemMethods
from .extra import TensorExtraMethods
from .fills import TensorFillMethods
from .matrices import TensorMatrixMethods
from .orders import TensorOrderMethods
from .pieces import TensorPieceMethods
from .places import TensorPlaceMethods
from .products import TensorProductMethods
from .reshape_ip import TensorReshapeInPlaceMethods
from .special import TensorSpecialMethods
from .updates import TensorUpdateMethods

__all__ = ["TensorMoreMethods"]


class TensorMoreMethods(
    TensorExtraMethods,
    TensorElemMethods,
    TensorUpdateMethods,
    TensorProductMethods,
    TensorMatrixMethods,
    TensorCountMethods,
    TensorOrderMethods,
    TensorPieceMethods,
    TensorPlaceMethods,
    TensorFillMethods,
    TensorReshapeInPlaceMethods,
    TensorSpecialMethods,
):
    """The methods of this package's mixins, as one base of `Tensor`."""

    __slots__ = ()
