r"""The physical branch of the DSM Dyson system [D§5.2] (no sympy: shared by the symbolic system
`rmt_dsm.dsm.system.dsm_system` and its generated numeric form `rmt_dsm.dsm.numeric`)."""
from __future__ import annotations

__all__ = ["physical_branch"]


def physical_branch(sol) -> str | None:
    r"""Branch check [D§5.2]: the unknowns are normalized traces of resolvents,

        g_{u_k} = -y tr(R_kk)/N_k,   g_v = -x tr(P)/p,   lambda = -x y,

    with R, P positive definite and lambda R, lambda P of spectrum in (0, 1].  Hence
    x g_{u_k} and y g_v lie in [0, 1], and g_{u_k}, g_v have the signs of -y, -x.
    Returns a message when violated (the engine then raises ConvergenceError).
    """
    p = {k.name: v for k, v in sol.params.items()}
    tol = 1e-9 if sol.dps is None else 10.0 ** (-sol.dps // 2)
    msgs = []
    for g, other, scale in (("g_u0", "y", "x"), ("g_u1", "y", "x"), ("g_v", "x", "y")):
        val = sol[g]
        if getattr(val, "imag", 0):
            msgs.append(f"{g} = {val} is not real")
            continue
        if not -float(val) * float(p[other]) >= -tol * (1 + abs(float(val))):
            msgs.append(f"{g} = {float(val):.6g} has the wrong sign ({other} = {float(p[other]):.6g})")
        w = float(p[scale]) * float(val)
        if not -tol <= w <= 1 + tol:
            msgs.append(f"{scale} {g} = {w:.6g} is outside [0, 1]")
    return "; ".join(msgs) or None
