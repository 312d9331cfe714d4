"""PyTorch's `torch.linalg` as `tg.linalg`: inverses, solves, decompositions, norms, products.

One namespace for the functions of four modules, each documented where it is defined:
`inv`, `det`, `slogdet` and `solve` in `linalg_base`; `cholesky`, `eigh`, `qr`, `svd`, `pinv`,
`lstsq`, `solve_triangular` and `matrix_rank` in `linalg_decomp`; the norms and products
(`vector_norm`, `matrix_norm`, `norm`, `cross`, `vecdot`, `multi_dot`, `matmul`, `diagonal`,
`vander`, `matrix_power`) in `linalg_more`; and `matrix_exp`, `cond`, `tensorinv`,
`tensorsolve`, `inv_ex` and `solve_ex` in `linalg_solves`.

>>> import tinygrad_lite as tg
>>> a = tg.tensor([[3.0, 1.0], [1.0, 2.0]])
>>> tg.linalg.solve(a, tg.tensor([9.0, 8.0])).tolist()
[2.0, 3.0]
>>> round(tg.linalg.matrix_norm(a, 1).item(), 12), tg.linalg.cholesky(a).shape
(4.0, (2, 2))
"""

from __future__ import annotations

from .linalg_base import SlogdetResult, det, inv, inverse, logdet, slogdet, solve
from .linalg_decomp import (
    CholeskyExResult,
    EighResult,
    LstsqResult,
    QRResult,
    SVDResult,
    cholesky,
    cholesky_ex,
    eigh,
    eigvalsh,
    lstsq,
    matrix_rank,
    pinv,
    qr,
    solve_triangular,
    svd,
    svdvals,
)
from .linalg_more import (
    cross,
    diagonal,
    matmul,
    matrix_norm,
    matrix_power,
    multi_dot,
    norm,
    vander,
    vecdot,
    vector_norm,
)
from .linalg_solves import (
    InvExResult,
    SolveExResult,
    cond,
    inv_ex,
    matrix_exp,
    solve_ex,
    tensorinv,
    tensorsolve,
)

__all__ = [
    "CholeskyExResult",
    "EighResult",
    "InvExResult",
    "LstsqResult",
    "QRResult",
    "SVDResult",
    "SlogdetResult",
    "SolveExResult",
    "cholesky",
    "cholesky_ex",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "inv_ex",
    "inverse",
    "logdet",
    "lstsq",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_ex",
    "solve_triangular",
    "svd",
    "svdvals",
    "tensorinv",
    "tensorsolve",
    "vander",
    "vecdot",
    "vector_norm",
]
