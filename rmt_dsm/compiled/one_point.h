/* The one-point path of `rmt_dsm.batch._one` in C, on the generated kernels (kernels.h).
 *
 * `rmt_dsm.batch._one` solves one double point and certifies it on Python numbers
 * (`rmt_dsm.engine.single`): a continuation step from a kept root, the derivatives and the errors
 * in double, the Newton polish and the errors in long double, the root at the moved inputs and its
 * errors, the certificate.  Most of its ~100 us is the interpreter's.  This file performs the same
 * operations in the same order on C doubles and long doubles, so that it returns the same bits
 * (tests/test_kernels.py compares the two paths point by point):
 *
 *   op_lu3, op_lu3_solve   rmt_dsm.engine.single.lu3, lu3_solve
 *   op_fj_d, op_fj_l       rmt_dsm.engine.single._fj
 *   op_newton              rmt_dsm.engine.single.newton
 *   op_track               rmt_dsm.engine.single.track on the paths of op_path
 *   op_step                rmt_dsm.batch._segment_step
 *   op_cold                rmt_dsm.batch._cold_root
 *   op_along               rmt_dsm.engine.single.derivative_along
 *   op_branch_ok           rmt_dsm.batch._branch_ok
 *   op_refined_d, _l       rmt_dsm.engine.single._refined3
 *   op_errors_d, _l        rmt_dsm.batch._error_values at one point
 *   op_polish              rmt_dsm.engine.single.polish
 *   op_moved               rmt_dsm.batch._moved_root
 *   op_certify             the rest of rmt_dsm.batch._one
 *
 * It decides nothing the Python path would decide otherwise: wherever that path could take
 * another branch than the one written here -- a floating-point exception flag raised anywhere
 * (where the Python arithmetic raises ZeroDivisionError or ValueError, or a kernel hands over to
 * its Python function), a kernel output that is not finite, a stage raising `Failed` outside the
 * continuation's own step control, a value not certified -- it returns None and the caller runs
 * the Python path from the start.  The tolerances are the Python module's constants, passed in
 * when the path is bound (`rmt_dsm.compiled.kernels.one_point`).
 *
 * `chain` runs the same path along many points, as a loop of `rmt_dsm.errors` calls would
 * (`rmt_dsm.batch._chain_run`): the kept roots (`_nearest_root`, `_keep_root`) and the decimal
 * reading of the ratios (`_decimal`) in C too, the certificates on a second thread. */

#define OP_OK 0
#define OP_FAILED 1 /* where the Python path raises rmt_dsm.engine.single.Failed */

/* the constants of the Python path, in the order `rmt_dsm.compiled.kernels.one_point` passes them */
enum {
    C_TOL_RES, C_TOL_STEP, C_ACCEPT, C_LOOSE, /* rmt_dsm.engine.grid */
    C_EPS_GRID, C_EXT_EPS,                    /* rmt_dsm.engine.grid._EPS, rmt_dsm.engine.batch.EXTENDED_EPS */
    C_BATCH_RELATIVE, C_EXT_ROUNDING,         /* rmt_dsm.batch.BATCH_RELATIVE, _EXTENDED_ROUNDING */
    C_STEP_DOUBLE, C_INPUT_REL, C_EPS,        /* rmt_dsm.scalar._STEP_DOUBLE, _INPUT_REL, _EPS */
    C_BRANCH_TOL, C_HMIN,                     /* _branch_ok's tol; _segment_step's hmin */
    C_NEWTON_MAXIT, C_MOVED_MAXIT, C_POLISH_MAXIT, C_REFINE, C_MAX_STEPS,
    C_START_MAXIT, C_TRACK_HMIN,              /* rmt_dsm.engine.single.START_MAXIT, HMIN */
    C_LAM_START, C_RUNG,                      /* rmt_dsm.scalar._LAM_START, rmt_dsm.batch._RUNG */
    C_WARM_STEP, C_DIST_RATIO, C_WARM_ROOTS,  /* rmt_dsm.batch._WARM_STEP, _DIST_RATIO, _WARM_ROOTS */
    C_COUNT
};

/* a bound one-point path: the kernels of a system of 3 unknowns and p parameters and of its
 * observables, the positions in theta of the observables' parameters, of x, y, epsilon, psi_n
 * and psi_p, and the constants */
typedef struct {
    int p;
    int f, fj, col[MAXARGS];
    int Q, X1, dQg, dQt, err[2]; /* errors_primal, errors_dual */
    int nobs, obs[MAXARGS];
    int i_x, i_y, i_eps, i_pn, i_pp, i_s;
    double k[C_COUNT];
    const kernel *K;
} op_ctx;

/* the state of one call: set when a kernel output is not finite (the caller checks it with the
 * exception flags at the end) */
typedef struct {
    const op_ctx *c;
    int bad;
} op_run;

static void op_eval_d(op_run *r, int k, const double *g, const double *th, int nth, const int *pos, double *out) {
    const kernel *K = &r->c->K[k];
    double in[MAXARGS];
    in[0] = g[0], in[1] = g[1], in[2] = g[2];
    for (int i = 0; i < nth; i++)
        in[3 + i] = th[pos ? pos[i] : i];
    K->d(in, out);
    for (int j = 0; j < K->nout; j++)
        if (!isfinite(out[j]))
            r->bad = 1;
}

static void op_eval_l(op_run *r, int k, const long double *g, const long double *th, int nth, const int *pos,
                      long double *out) {
    const kernel *K = &r->c->K[k];
    long double in[MAXARGS];
    in[0] = g[0], in[1] = g[1], in[2] = g[2];
    for (int i = 0; i < nth; i++)
        in[3 + i] = th[pos ? pos[i] : i];
    K->l(in, out);
    for (int j = 0; j < K->nout; j++)
        if (!isfinite(out[j]))
            r->bad = 1;
}

/* max |v_i| as Python's max(map(abs, v)) */
static double op_norm_d(const double *v) {
    double m = fabs(v[0]);
    if (fabs(v[1]) > m) m = fabs(v[1]);
    if (fabs(v[2]) > m) m = fabs(v[2]);
    return m;
}

static long double op_norm_l(const long double *v) {
    long double m = fabsl(v[0]);
    if (fabsl(v[1]) > m) m = fabsl(v[1]);
    if (fabsl(v[2]) > m) m = fabsl(v[2]);
    return m;
}

/* ---------------------------------------------------------------- linear algebra */
typedef struct {
    int i0, iu, iv;
    double fu, fv, f, p0, p1, p2, u1, u2, v2;
} op_lu;

/* rmt_dsm.engine.single.lu3 (A row-major) */
static int op_lu3(const double *A, op_lu *L) {
    const double *r0 = A, *r1 = A + 3, *r2 = A + 6, *P, *U, *V;
    int i0 = 0, iu, iv;
    double big = fabs(r0[0]);
    if (fabs(r1[0]) > big) i0 = 1, big = fabs(r1[0]);
    if (fabs(r2[0]) > big) i0 = 2, big = fabs(r2[0]);
    if (!(0 < big && big < INFINITY))
        return OP_FAILED;
    if (i0 == 0) P = r0, U = r1, iu = 1, V = r2, iv = 2;
    else if (i0 == 1) P = r1, U = r0, iu = 0, V = r2, iv = 2;
    else P = r2, U = r1, iu = 1, V = r0, iv = 0;
    double p0 = P[0], p1 = P[1], p2 = P[2], u1 = U[1], u2 = U[2], v1 = V[1], v2 = V[2];
    double fu = U[0] / p0;
    if (fu != 0) u1 = u1 - fu * p1, u2 = u2 - fu * p2;
    double fv = V[0] / p0;
    if (fv != 0) v1 = v1 - fv * p1, v2 = v2 - fv * p2;
    if (fabs(v1) > fabs(u1)) {
        double t;
        int ti;
        t = fu, fu = fv, fv = t;
        t = u1, u1 = v1, v1 = t;
        t = u2, u2 = v2, v2 = t;
        ti = iu, iu = iv, iv = ti;
    }
    if (!(0 < fabs(u1) && fabs(u1) < INFINITY))
        return OP_FAILED;
    double f = v1 / u1;
    if (f != 0) v2 = v2 - f * u2;
    if (!(0 < fabs(v2) && fabs(v2) < INFINITY))
        return OP_FAILED;
    *L = (op_lu){i0, iu, iv, fu, fv, f, p0, p1, p2, u1, u2, v2};
    return OP_OK;
}

/* rmt_dsm.engine.single.lu3_solve: x = A^{-1} b (b read as doubles, as its float(b[i]) does) */
static int op_lu3_solve(const op_lu *L, const double *b, double *x) {
    double p3 = b[L->i0], u3 = b[L->iu], v3 = b[L->iv];
    if (L->fu != 0) u3 = u3 - L->fu * p3;
    if (L->fv != 0) v3 = v3 - L->fv * p3;
    if (L->f != 0) v3 = v3 - L->f * u3;
    double x2 = v3 / L->v2;
    double x1 = (u3 - L->u2 * x2) / L->u1;
    double x0 = ((p3 - L->p1 * x1) - L->p2 * x2) / L->p0;
    if (!(isfinite(x0) && isfinite(x1) && isfinite(x2)))
        return OP_FAILED;
    x[0] = x0, x[1] = x1, x[2] = x2;
    return OP_OK;
}

static int op_lu3_solve_l(const op_lu *L, const long double *b, double *x) {
    double bd[3] = {(double)b[0], (double)b[1], (double)b[2]};
    return op_lu3_solve(L, bd, x);
}

/* ---------------------------------------------------------------- Newton and the continuation step */
/* rmt_dsm.engine.single._fj in double: F and J (row-major) at (g, th); Failed at a non-finite residual */
static int op_fj_d(op_run *r, const double *g, const double *th, double *f, double *J) {
    double out[12];
    op_eval_d(r, r->c->fj, g, th, r->c->p, NULL, out);
    memcpy(f, out, 3 * sizeof(double));
    memcpy(J, out + 3, 9 * sizeof(double));
    double s = ((0.0 + fabs(f[0])) + fabs(f[1])) + fabs(f[2]);
    return isfinite(s) ? OP_OK : OP_FAILED;
}

static int op_fj_l(op_run *r, const long double *g, const long double *th, long double *f, long double *J) {
    long double out[12];
    op_eval_l(r, r->c->fj, g, th, r->c->p, NULL, out);
    memcpy(f, out, 3 * sizeof(long double));
    memcpy(J, out + 3, 9 * sizeof(long double));
    long double s = ((0.0L + fabsl(f[0])) + fabsl(f[1])) + fabsl(f[2]);
    return isfinite((double)s) ? OP_OK : OP_FAILED;
}

/* rmt_dsm.engine.single.newton(c, g, th, loose, maxit) (strict): the root g, F and J there, iterations */
static int op_newton(op_run *r, const double *g0, const double *th, int loose, int maxit, double *g, double *f,
                     double *J, int *its_out) {
    const double *k = r->c->k;
    double prev = 0, dx[3];
    int have_prev = 0;
    op_lu L;
    memcpy(g, g0, 3 * sizeof(double));
    if (op_fj_d(r, g, th, f, J))
        return OP_FAILED;
    for (int its = 0; its <= maxit; its++) {
        double scale = 1 + op_norm_d(g);
        if (op_norm_d(f) <= (loose ? k[C_LOOSE] : k[C_TOL_RES]) * scale) {
            *its_out = its;
            return OP_OK;
        }
        if (its == maxit)
            break;
        if (op_lu3(J, &L) || op_lu3_solve(&L, f, dx))
            return OP_FAILED;
        double ndx = op_norm_d(dx);
        if ((!have_prev && ndx > 0.25 * scale) || (have_prev && ndx > 0.5 * prev && ndx > k[C_TOL_STEP] * scale))
            return OP_FAILED; /* the corrector does not contract */
        for (int i = 0; i < 3; i++)
            g[i] = g[i] - dx[i];
        if (op_fj_d(r, g, th, f, J))
            return OP_FAILED;
        if (ndx <= k[C_TOL_STEP] * scale) {
            if (op_norm_d(f) <= k[C_ACCEPT] * scale) {
                *its_out = its + 1;
                return OP_OK;
            }
            return OP_FAILED; /* stalled at a large residual */
        }
        prev = ndx, have_prev = 1;
    }
    return OP_FAILED;
}

/* rmt_dsm.engine.single.derivative_along: dg/du = -J^{-1} sum_k F_theta_k dtheta_k/du over the
 * moving parameters ks (rates d) */
static int op_along(op_run *r, const double *g, const double *J, const double *th, int nk, const int *ks,
                    const double *d, double *tan) {
    double rhs[3] = {0.0, 0.0, 0.0}, v[3];
    op_lu L;
    for (int j = 0; j < nk; j++) {
        op_eval_d(r, r->c->col[ks[j]], g, th, r->c->p, NULL, v);
        for (int i = 0; i < 3; i++)
            rhs[i] = rhs[i] - v[i] * d[j];
    }
    if (op_lu3(J, &L))
        return OP_FAILED;
    return op_lu3_solve(&L, rhs, tan);
}

/* the paths theta(t), t in [0, 1], of the continuations of rmt_dsm.batch, with their directions
 * dtheta/dt on the moving parameters ks (rates d) */
enum { PATH_SEGMENT, PATH_HOMOTOPY, PATH_LADDER, PATH_TO_ZERO };

typedef struct {
    int kind;
    const double *th0, *th; /* PATH_SEGMENT: th0 + t (th - th0) (`_segment_step`'s path) */
    const double *base;     /* the others: `_Context.theta(base, k_lam, lambda, s)` (`_cold_root`'s paths) */
    int k_lam;
    double lam_h, lam_end, rate;
    int nk, ks[MAXARGS];
    double d[MAXARGS];
} op_path;

/* path(t) of the Python path: theta (thp), and the rates d of the moving parameters ks */
static void op_path_at(const op_ctx *c, op_path *P, double t, double *thp) {
    int p = c->p;
    if (P->kind == PATH_SEGMENT) {
        memcpy(thp, t == 0 ? P->th0 : P->th, p * sizeof(double));
        if (t != 0 && !(t >= 1))
            for (int j = 0; j < P->nk; j++)
                thp[P->ks[j]] = P->th0[P->ks[j]] + t * P->d[j];
        return;
    }
    double lam, s = 1.0;
    memcpy(thp, P->base, p * sizeof(double));
    P->nk = 1;
    if (P->kind == PATH_HOMOTOPY) { /* s: 0 -> 1 at lambda_h */
        lam = P->lam_h, s = t;
        P->ks[0] = c->i_s, P->d[0] = 1.0;
    } else if (P->kind == PATH_LADDER) { /* lambda_h e^(t rate), geometric down to lambda_end */
        lam = t == 1 ? P->lam_end : P->lam_h * exp(t * P->rate);
        P->ks[0] = P->k_lam, P->d[0] = lam * P->rate;
    } else { /* lambda_end (1 - t), down to 0 */
        lam = P->lam_end * (1 - t);
        P->ks[0] = P->k_lam, P->d[0] = -P->lam_end;
    }
    thp[P->k_lam] = lam, thp[c->i_s] = s;
}

/* rmt_dsm.engine.single.track(c, g, path, h0, exact_end, hmin, log_predictor=..., J=...) (hmax = inf,
 * no record): the root at path(1) from the root g at path(0) (have_j: g is a root there with
 * Jacobian J, else Newton to the loose tolerance first).  OP_FAILED where track raises. */
static int op_track(op_run *r, op_path *P, double *g, double *f, double *J, int have_j, double h0, int exact_end,
                    double hmin, int log_predictor, int *its_out) {
    const double *k = r->c->k;
    int its_total = 0, grow = 1, have_tan = 0, its;
    double thp[MAXARGS], tan[3], t = 0.0, h = h0, gn[3], fn[3], Jn[9], pred[3];
    if (!have_j) {
        op_path_at(r->c, P, 0.0, thp);
        if (op_newton(r, g, thp, 1, (int)k[C_START_MAXIT], gn, f, J, &its_total))
            return OP_FAILED;
        memcpy(g, gn, sizeof gn);
    }
    for (int step = 0; step < (int)k[C_MAX_STEPS]; step++) {
        if (t >= 1) {
            *its_out = its_total;
            return OP_OK;
        }
        if (!have_tan) {
            op_path_at(r->c, P, t, thp);
            if (op_along(r, g, J, thp, P->nk, P->ks, P->d, tan))
                return OP_FAILED;
            have_tan = 1;
        }
        double tn = t + h < 1.0 ? t + h : 1.0;
        if (1 - tn < 1e-12)
            tn = 1.0;
        double dt = tn - t;
        for (int i = 0; i < 3; i++) { /* the log predictor keeps the sign of g_i across a decade of ridges */
            double q = (log_predictor && g[i] != 0) ? dt * tan[i] / g[i] : INFINITY;
            pred[i] = fabs(q) < 700 ? g[i] * exp(q) : g[i] + dt * tan[i];
        }
        op_path_at(r->c, P, tn, thp);
        if (op_newton(r, pred, thp, tn < 1 || !exact_end, (int)k[C_NEWTON_MAXIT], gn, fn, Jn, &its)) {
            h /= 2;
            grow = 0;
            if (h < hmin)
                return OP_FAILED; /* the continuation stalled */
            continue;
        }
        its_total += its;
        memcpy(g, gn, sizeof gn), memcpy(f, fn, sizeof fn), memcpy(J, Jn, sizeof Jn);
        t = tn, have_tan = 0;
        h = (its <= 2 && grow) ? 2 * h : (its >= 5 ? h / 2 : h);
        grow = 1;
    }
    return OP_FAILED; /* too many continuation steps */
}

/* rmt_dsm.batch._segment_step: the root at th by continuation from the root g0 (Jacobian J0) at th0
 * along the straight segment between them (one step, halved at most 3 times: hmin = C_HMIN).
 * OP_FAILED where it returns None (the caller then solves cold). */
static int op_step(op_run *r, const double *th0, const double *g0, const double *J0, const double *th, double *g,
                   double *f, double *J, int *its) {
    op_path P = {.kind = PATH_SEGMENT, .th0 = th0, .th = th};
    for (int i = 0; i < r->c->p; i++)
        if (th0[i] != th[i])
            P.ks[P.nk] = i, P.d[P.nk] = th[i] - th0[i], P.nk++;
    memcpy(g, g0, 3 * sizeof(double));
    memcpy(J, J0, 9 * sizeof(double));
    return op_track(r, &P, g, f, J, 1, 1.0, 1, r->c->k[C_HMIN], 0, its);
}

/* rmt_dsm.batch._cold_root: the root at th (ridge lam in the chart's entry k_lam) by the homotopy
 * s: 0 -> 1 at lam_h = max(lam, C_LAM_START), the geometric ridge ladder down to lam (or to the
 * floor `floor_lam` of `_ladder_floor` when lam = 0), then to lambda = 0 */
static int op_cold(op_run *r, const double *th, int k_lam, double lam, double floor_lam, double *g, double *f,
                   double *J, int *its) {
    const op_ctx *c = r->c;
    const double *k = c->k;
    double lam_h = k[C_LAM_START] > lam ? k[C_LAM_START] : lam, zero[3] = {0.0, 0.0, 0.0}, th0[MAXARGS];
    int its2;
    op_path P = {.kind = PATH_HOMOTOPY, .base = th, .k_lam = k_lam, .lam_h = lam_h};
    op_path_at(c, &P, 0.0, th0);
    op_eval_d(r, c->f, zero, th0, c->p, NULL, g);
    for (int i = 0; i < 3; i++)
        g[i] = -g[i];
    if (op_track(r, &P, g, f, J, 0, 1.0, lam == lam_h, k[C_TRACK_HMIN], 0, its))
        return OP_FAILED;
    if (lam < lam_h) {
        double lam_end = lam > 0 ? lam : floor_lam, rate = log(lam_end / lam_h);
        double a = fabs(rate) > 1e-300 ? fabs(rate) : 1e-300, h0 = log(k[C_RUNG]) / a; /* `_first_rung` */
        h0 = h0 < 0.5 ? h0 : 0.5;
        P = (op_path){.kind = PATH_LADDER, .base = th, .k_lam = k_lam, .lam_h = lam_h, .lam_end = lam_end, .rate = rate};
        if (op_track(r, &P, g, f, J, 1, h0, lam > 0, k[C_TRACK_HMIN], 1, &its2))
            return OP_FAILED;
        *its += its2;
        if (lam == 0) {
            P = (op_path){.kind = PATH_TO_ZERO, .base = th, .k_lam = k_lam, .lam_end = lam_end};
            if (op_track(r, &P, g, f, J, 1, 1.0, 1, k[C_TRACK_HMIN], 0, &its2))
                return OP_FAILED;
            *its += its2;
        }
    }
    return OP_OK;
}

/* rmt_dsm.batch._branch_ok at one point */
static int op_branch_ok(const double *g, double x, double y, double tol) {
    int ok = 1;
    for (int i = 0; i < 3; i++)
        ok = ok & (fabs(g[i]) < INFINITY);
    const double other[3] = {y, y, x}, scale[3] = {x, x, y};
    for (int j = 0; j < 3; j++) {
        double v = g[j], w = scale[j] * v;
        ok = ok & ((-v) * other[j] >= -tol * (1 + fabs(v))) & (w >= -tol) & (w <= 1 + tol);
    }
    return ok;
}

/* ---------------------------------------------------------------- derivatives and errors */
/* rmt_dsm.engine.single._refined3: x = -A^{-1} col by the factors L, refined `refine` times
 * against A (row-major), in T; the corrections solved in double */
#define OP_REFINED(NAME, T, FABS)                                                                              \
    static int NAME(const op_lu *L, const T *col, const T *A, int refine, double tol, T *x) {                 \
        T b[3] = {-col[0], -col[1], -col[2]}, res[3];                                                          \
        double xd[3], dd[3];                                                                                   \
        for (int i = 0; i < 3; i++)                                                                            \
            xd[i] = (double)b[i];                                                                              \
        if (op_lu3_solve(L, xd, xd))                                                                           \
            return OP_FAILED;                                                                                  \
        for (int i = 0; i < 3; i++)                                                                            \
            x[i] = (T)xd[i];                                                                                   \
        for (int it = 0; it < refine; it++) {                                                                  \
            for (int i = 0; i < 3; i++)                                                                        \
                res[i] = b[i] - ((A[3 * i] * x[0] + A[3 * i + 1] * x[1]) + A[3 * i + 2] * x[2]);               \
            for (int i = 0; i < 3; i++)                                                                        \
                xd[i] = (double)res[i];                                                                        \
            if (op_lu3_solve(L, xd, dd))                                                                       \
                return OP_FAILED;                                                                              \
            for (int i = 0; i < 3; i++)                                                                        \
                x[i] = x[i] + dd[i];                                                                           \
            double nd = op_norm_d(dd);                                                                         \
            T mx = FABS(x[0]);                                                                                 \
            if (FABS(x[1]) > mx) mx = FABS(x[1]);                                                              \
            if (FABS(x[2]) > mx) mx = FABS(x[2]);                                                              \
            double nx = (double)mx;                                                                            \
            if (nd * nd <= (tol * nx) * nx)                                                                    \
                break;                                                                                         \
        }                                                                                                      \
        return OP_OK;                                                                                          \
    }

OP_REFINED(op_refined_d, double, fabs)
OP_REFINED(op_refined_l, long double, fabsl)

/* rmt_dsm.batch._error_values at one point: the five errors from the observables' kernels at
 * (g, th), with dk = dg/dlambda in the chart (x in the dual, y in the primal), de = dg/depsilon,
 * prm = (F_pop, delta, mu1, s2, v2), lam */
#define OP_ERRORS(NAME, T, EVAL)                                                                                \
    static void NAME(op_run *r, const T *g, const T *th, const T *dk, const T *de, int primal, const T *prm,   \
                     T lam, T *out) {                                                                           \
        const op_ctx *c = r->c;                                                                                 \
        T gq[3], gt[3], q, x1, in[11];                                                                          \
        EVAL(r, c->dQg, g, th, c->nobs, c->obs, gq);                                                            \
        EVAL(r, c->dQt, g, th, c->nobs, c->obs, gt);                                                            \
        T along = (gq[0] * dk[0] + gq[1] * dk[1]) + gq[2] * dk[2];                                              \
        T eps = gt[2] + ((gq[0] * de[0] + gq[1] * de[1]) + gq[2] * de[2]);                                      \
        EVAL(r, c->X1, g, th, c->nobs, c->obs, &x1);                                                            \
        EVAL(r, c->Q, g, th, c->nobs, c->obs, &q);                                                              \
        in[0] = q, in[1] = x1, in[2] = primal ? 0 : gt[0] + along, in[3] = primal ? gt[1] + along : 0;          \
        in[4] = eps, in[5] = prm[0], in[6] = prm[1], in[7] = lam, in[8] = prm[2], in[9] = prm[3];               \
        in[10] = prm[4];                                                                                        \
        const kernel *K = &c->K[c->err[primal ? 0 : 1]];                                                        \
        op_call_##T(K, in, out, r);                                                                             \
    }

static void op_call_double(const kernel *K, const double *in, double *out, op_run *r) {
    K->d(in, out);
    for (int j = 0; j < 5; j++)
        if (!isfinite(out[j]))
            r->bad = 1;
}

typedef long double op_ld;
static void op_call_op_ld(const kernel *K, const long double *in, long double *out, op_run *r) {
    K->l(in, out);
    for (int j = 0; j < 5; j++)
        if (!isfinite(out[j]))
            r->bad = 1;
}

OP_ERRORS(op_errors_d, double, op_eval_d)
OP_ERRORS(op_errors_l, op_ld, op_eval_l)

/* ---------------------------------------------------------------- the stages of _one */
/* rmt_dsm.engine.single.polish(c, g, J, th) with J factored in L: the root ge in long double and
 * the long double Jacobian there (*have_je = 0 when the double root needed no step) */
static int op_polish(op_run *r, const double *g, const op_lu *L, const long double *th, long double *ge,
                     long double *Je, int *have_je) {
    const double *k = r->c->k;
    long double f[3];
    double prev = INFINITY, scale = 1 + op_norm_d(g), dx[3];
    for (int i = 0; i < 3; i++)
        ge[i] = (long double)g[i];
    *have_je = 0;
    for (int its = 0; its <= (int)k[C_POLISH_MAXIT]; its++) {
        if (its) {
            if (op_fj_l(r, ge, th, f, Je))
                return OP_FAILED;
            *have_je = 1;
        } else {
            op_eval_l(r, r->c->f, ge, th, r->c->p, NULL, f);
        }
        double res = (double)op_norm_l(f);
        if (!isfinite(res))
            return OP_FAILED;
        if (its && res <= 8 * k[C_EXT_EPS] * scale) { /* at least one step (single.polish) */
            double moved[3] = {(double)ge[0] - g[0], (double)ge[1] - g[1], (double)ge[2] - g[2]};
            return op_norm_d(moved) > 1e-6 * scale ? OP_FAILED : OP_OK;
        }
        if (res > prev / 4)
            return OP_FAILED;
        if (op_lu3_solve_l(L, f, dx))
            return OP_FAILED;
        for (int i = 0; i < 3; i++)
            ge[i] = ge[i] - dx[i];
        prev = res;
    }
    return OP_FAILED;
}

/* rmt_dsm.batch._moved_root: Newton at the moved inputs thm from one chord step off the root g
 * (factors L), or from g itself when that fails */
static int op_moved(op_run *r, const double *g, const op_lu *L, const double *thm, double *gm, double *fm,
                    double *Jm, int *its) {
    int maxit = (int)r->c->k[C_MOVED_MAXIT];
    double f[3], dx[3], start[3];
    op_eval_d(r, r->c->f, g, thm, r->c->p, NULL, f);
    if (!op_lu3_solve(L, f, dx)) {
        for (int i = 0; i < 3; i++)
            start[i] = g[i] - dx[i];
        if (!op_newton(r, start, thm, 0, maxit, gm, fm, Jm, its)) {
            *its += 1;
            return OP_OK;
        }
    }
    if (op_newton(r, g, thm, 0, maxit, gm, fm, Jm, its))
        return OP_FAILED;
    *its += 1;
    return OP_OK;
}

/* rmt_dsm.batch._observables_one: the errors at the root g (Jacobian J, the double factors L) in T,
 * the derivatives dg/dlambda and dg/depsilon refined `refine` times to the tolerance tol */
#define OP_OBSERVABLES(NAME, T, EVAL, REFINED, ERRORS)                                                          \
    static int NAME(op_run *r, const T *g, const T *J, const op_lu *L, const T *th, const T *prm, int primal,  \
                    int refine, double tol, T *out) {                                                           \
        const op_ctx *c = r->c;                                                                                 \
        int kl = primal ? c->i_y : c->i_x;                                                                      \
        T col[3], dk[3], de[3];                                                                                 \
        EVAL(r, c->col[kl], g, th, c->p, NULL, col);                                                            \
        if (REFINED(L, col, J, refine, tol, dk))                                                                \
            return OP_FAILED;                                                                                   \
        EVAL(r, c->col[c->i_eps], g, th, c->p, NULL, col);                                                      \
        if (REFINED(L, col, J, refine, tol, de))                                                                \
            return OP_FAILED;                                                                                   \
        ERRORS(r, g, th, dk, de, primal, prm, th[kl], out);                                                     \
        return OP_OK;                                                                                           \
    }

OP_OBSERVABLES(op_observables_d, double, op_eval_d, op_refined_d, op_errors_d)
OP_OBSERVABLES(op_observables_l, long double, op_eval_l, op_refined_l, op_errors_l)

/* the certificate of rmt_dsm.batch._one from the root (g, F, J) at th: values and accuracy */
static int op_certify(op_run *r, const double *g, const double *f, const double *J, const double *th,
                      const long double *thl, const double *thm, const double *prm, const long double *prml,
                      const double *prmm, int primal, double *values, double *accuracy, int *itm) {
    const double *k = r->c->k;
    op_lu L, Lm;
    double v64[5], vm[5], gm[3], fm[3], Jm[9];
    long double vld[5], ge[3], Je[9];
    int have_je;
    if (op_lu3(J, &L))
        return OP_FAILED;
    if (op_observables_d(r, g, J, &L, th, prm, primal, (int)k[C_REFINE], 4 * k[C_EPS_GRID], v64))
        return OP_FAILED;
    if (op_polish(r, g, &L, thl, ge, Je, &have_je))
        return OP_FAILED;
    if (!have_je) { /* derivatives() evaluates the Jacobian at the polished root */
        long double fe[3];
        if (op_fj_l(r, ge, thl, fe, Je))
            return OP_FAILED;
    }
    if (op_observables_l(r, ge, Je, &L, thl, prml, primal, (int)k[C_REFINE], 4 * k[C_EXT_EPS], vld))
        return OP_FAILED;
    if (op_moved(r, g, &L, thm, gm, fm, Jm, itm))
        return OP_FAILED;
    if (op_lu3(Jm, &Lm) || op_observables_d(r, gm, Jm, &Lm, thm, prmm, primal, 0, 4 * k[C_EPS_GRID], vm))
        return OP_FAILED;
    for (int i = 0; i < 5; i++)
        values[i] = (double)vld[i];
    double zero = 0.0 * values[0]; /* _least_rounding(train, test, score, gap, floor) */
    double least[5] = {zero, zero, k[C_EXT_EPS] * (fabs(values[1]) + fabs(values[4])),
                       k[C_EXT_EPS] * (fabs(values[1]) + fabs(values[0])), zero};
    for (int i = 0; i < 5; i++) {
        double v = values[i], x = k[C_EXT_ROUNDING] * fabs((double)(v64[i] - vld[i]));
        double rounding = least[i] > x ? least[i] : x;
        if (!isfinite(v) || rounding > k[C_BATCH_RELATIVE] * fabs(v))
            return OP_FAILED; /* not certified */
        accuracy[i] = v == 0 ? 0.0
                             : ((rounding + (fabs(vm[i] - v64[i]) / k[C_STEP_DOUBLE]) * k[C_INPUT_REL]) +
                                k[C_EPS] * fabs(v)) / fabs(v);
    }
    return OP_OK;
}

/* ---------------------------------------------------------------- the Python side */
static PyObject *op_doubles(const double *v, int n) {
    PyObject *out = PyList_New(n);
    if (out == NULL)
        return NULL;
    for (int i = 0; i < n; i++) {
        PyObject *x = PyFloat_FromDouble(v[i]);
        if (x == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, x);
    }
    return out;
}

/* a bytes argument of exactly n items of size `size` */
static const void *op_bytes(PyObject *b, Py_ssize_t n, size_t size) {
    if (!PyBytes_Check(b) || PyBytes_GET_SIZE(b) != (Py_ssize_t)(n * size)) {
        PyErr_SetString(PyExc_ValueError, "one_point: a packed argument has the wrong size");
        return NULL;
    }
    return PyBytes_AS_STRING(b);
}

/* a numpy longdouble scalar or a float, as a long double */
static int op_long_double(PyObject *a, long double *out) {
    if (PyFloat_Check(a)) {
        *out = (long double)PyFloat_AS_DOUBLE(a);
        return 0;
    }
    Py_buffer view;
    if (LD_TYPE == NULL || (PyObject *)Py_TYPE(a) != LD_TYPE || PyObject_GetBuffer(a, &view, PyBUF_SIMPLE) < 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, "one_point: expected a numpy longdouble");
        return -1;
    }
    int ok = view.len == (Py_ssize_t)sizeof(long double);
    if (ok)
        memcpy(out, view.buf, sizeof(long double));
    PyBuffer_Release(&view);
    if (!ok) {
        PyErr_SetString(PyExc_TypeError, "one_point: longdouble of another size");
        return -1;
    }
    return 0;
}

/* One point of `rmt_dsm.batch._one` from the templates t64, tld, tm (p + 5 numbers: see op_call)
 * at the ratios and ridge (double; ln, lp, ll: the same read as decimals in long double), from
 * `start` as op_call's, in two stages: op_solve (the root) and op_finish (the certificate), which
 * op_point runs one after the other and `chain` on two threads.  Each returns OP_DONE, OP_COLD
 * (the continuation step failed or left the physical branch: solve cold) or OP_HAND (the Python
 * path must decide). */
#define OP_DONE 0
#define OP_COLD 1
#define OP_HAND 2

/* the parameter lists at the point: theta in double (th), in long double (thl), at the moved inputs (thm) */
static void op_theta(const op_ctx *c, const double *t64, const long double *tld, const double *tm, double psi_n,
                     double psi_p, double lam, long double ln, long double lp, long double ll, int primal, double *th,
                     long double *thl, double *thm) {
    int p = c->p, kl = primal ? c->i_y : c->i_x;
    memcpy(th, t64, p * sizeof(double));
    memcpy(thm, tm, p * sizeof(double));
    memcpy(thl, tld, p * sizeof(long double));
    th[c->i_pn] = thm[c->i_pn] = psi_n, th[c->i_pp] = thm[c->i_pp] = psi_p, th[kl] = thm[kl] = lam;
    thl[c->i_pn] = ln, thl[c->i_pp] = lp, thl[kl] = ll;
}

/* the root (g, F, J, iterations) at th: a continuation step from the kept root `start` (its0 = -1),
 * the cold continuation (its0 = -2, start: the ladder's floor) or the given root (its0 >= 0);
 * *tainted when a kernel output was not finite or an exception flag was raised on the way to a
 * root (where op_point hands the point back after its certificate) */
static int op_solve(const op_ctx *c, const double *th, int primal, double lam, const double *start, long its0,
                    double *g, double *f, double *J, int *its, int *tainted) {
    int p = c->p, kl = primal ? c->i_y : c->i_x, status;
    op_run r = {c, 0};
    feclearexcept(FLAGS);
    if (its0 == -1) {
        status = op_step(&r, start, start + p, start + p + 3, th, g, f, J, its);
        if (!status && !op_branch_ok(g, th[c->i_x], th[c->i_y], c->k[C_BRANCH_TOL]))
            status = OP_FAILED;
        if (status) /* the step failed: cold, unless the Python path would decide otherwise */
            return (r.bad || fetestexcept(FLAGS)) ? OP_HAND : OP_COLD;
    } else if (its0 == -2) {
        status = op_cold(&r, th, kl, lam, start[0], g, f, J, its);
        if (status || !op_branch_ok(g, th[c->i_x], th[c->i_y], c->k[C_BRANCH_TOL]))
            return OP_HAND; /* the Python path raises */
    } else {
        memcpy(g, start, 3 * sizeof(double));
        memcpy(f, start + 3, 3 * sizeof(double));
        memcpy(J, start + 6, 9 * sizeof(double));
        *its = (int)its0;
    }
    *tainted = r.bad || fetestexcept(FLAGS);
    return OP_DONE;
}

/* the certificate of the root (g, F, J): values, accuracy, residual and the iterations at the moved inputs */
static int op_finish(const op_ctx *c, const double *g, const double *f, const double *J, const double *th,
                     const long double *thl, const double *thm, const double *t64, const long double *tld,
                     const double *tm, int primal, double *values, double *accuracy, double *residual, int *itm) {
    int p = c->p;
    op_run r = {c, 0};
    feclearexcept(FLAGS);
    *itm = 0;
    int status = op_certify(&r, g, f, J, th, thl, thm, t64 + p, tld + p, tm + p, primal, values, accuracy, itm);
    if (status || r.bad || fetestexcept(FLAGS))
        return OP_HAND;
    *residual = op_norm_d(f);
    return OP_DONE;
}

/* op_solve then op_finish; OP_DONE with the root to keep (theta, g, J: p + 12 doubles) */
static int op_point(const op_ctx *c, const double *t64, const long double *tld, const double *tm, double psi_n,
                    double psi_p, double lam, long double ln, long double lp, long double ll, int primal,
                    const double *start, long its0, double *values, double *accuracy, double *residual,
                    int *iterations, double *kept) {
    int p = c->p, its, itm, tainted;
    double th[MAXARGS], thm[MAXARGS], g[3], f[3], J[9];
    long double thl[MAXARGS];
    op_theta(c, t64, tld, tm, psi_n, psi_p, lam, ln, lp, ll, primal, th, thl, thm);
    int status = op_solve(c, th, primal, lam, start, its0, g, f, J, &its, &tainted);
    if (status)
        return status;
    if (op_finish(c, g, f, J, th, thl, thm, t64, tld, tm, primal, values, accuracy, residual, &itm) || tainted)
        return OP_HAND;
    *iterations = its + itm;
    memcpy(kept, th, p * sizeof(double));
    memcpy(kept + p, g, 3 * sizeof(double));
    memcpy(kept + p + 3, J, 9 * sizeof(double));
    return OP_DONE;
}

/* call(t64, tld, tm, psi_n, psi_p, lam, psi_n_ld, psi_p_ld, lam_ld, primal, start, its0):
 *   t64, tm: bytes of p + 5 doubles, the parameter list theta at s = 1 (x = y = -1, the ratios 0)
 *            and (F_pop, delta, mu1, s2, v2), in double and at the moved inputs; tld: the same in
 *            long double; the ratios and lambda (in the chart: y primal, x dual) set here;
 *   start: bytes of p + 12 doubles (theta0, g0, J0: a kept root, its0 = -1: one continuation
 *          step from it), of one double (its0 = -2: the cold continuation, whose ladder of ridges
 *          stops at this floor when lambda = 0: `_ladder_floor`) or of 15 doubles (g, F, J: the
 *          root at the point, its0 its iterations).
 * Returns (values, accuracy, residual, iterations, bytes of theta + g + J: the root to keep),
 * False when the continuation step failed or left the physical branch (the caller solves cold),
 * None when the Python path must decide (also when the cold continuation fails or leaves the
 * physical branch: the Python path then raises). */
static PyObject *op_call(PyObject *self, PyObject *const *av, Py_ssize_t na) {
    const op_ctx *c = PyCapsule_GetPointer(self, "rmt_dsm.one_point");
    if (c == NULL)
        return NULL;
    if (na != 12) {
        PyErr_SetString(PyExc_TypeError, "one_point: 12 arguments");
        return NULL;
    }
    int p = c->p, primal = PyObject_IsTrue(av[9]);
    long its0 = PyLong_AsLong(av[11]);
    if (primal < 0 || (its0 == -1 && PyErr_Occurred()))
        return NULL;
    const double *t64 = op_bytes(av[0], p + 5, sizeof(double)), *tm = op_bytes(av[2], p + 5, sizeof(double));
    const long double *tld = op_bytes(av[1], p + 5, sizeof(long double));
    const double *start = op_bytes(av[10], its0 == -1 ? p + 12 : (its0 == -2 ? 1 : 15), sizeof(double));
    double psi_n = PyFloat_AsDouble(av[3]), psi_p = PyFloat_AsDouble(av[4]), lam = PyFloat_AsDouble(av[5]);
    long double ln, lp, ll;
    if (!t64 || !tm || !tld || !start || PyErr_Occurred() || op_long_double(av[6], &ln) ||
        op_long_double(av[7], &lp) || op_long_double(av[8], &ll))
        return NULL;
    double values[5], accuracy[5], residual, kept[MAXARGS + 12];
    int its;
    switch (op_point(c, t64, tld, tm, psi_n, psi_p, lam, ln, lp, ll, primal, start, its0, values, accuracy, &residual,
                     &its, kept)) {
    case OP_COLD:
        Py_RETURN_FALSE;
    case OP_HAND:
        Py_RETURN_NONE;
    }
    PyObject *pv = op_doubles(values, 5), *pa = op_doubles(accuracy, 5);
    PyObject *root = PyBytes_FromStringAndSize((const char *)kept, (Py_ssize_t)((p + 12) * sizeof(double)));
    PyObject *res = (pv && pa && root) ? Py_BuildValue("(OOdiO)", pv, pa, residual, its, root) : NULL;
    Py_XDECREF(pv);
    Py_XDECREF(pa);
    Py_XDECREF(root);
    return res;
}

/* ---------------------------------------------------------------- the chain */
/* A curve's points solved in C one after the other as `rmt_dsm.batch._one` solves them in a loop of
 * calls: each from the nearest root kept by the calls before (`_nearest_root`), or cold, its root
 * kept (`_keep_root`), in stores of the roots by chart and lambda = 0 or not, as
 * `rmt_dsm.batch._WARM` keeps them for one data spectrum, schedule and m. */
#define OP_ROOTS_MAX 16 /* the largest C_WARM_ROOTS */
#define OP_THREAD_MIN 32 /* a chain certifies on two threads from this many points on */

typedef struct {
    double psi_n, psi_p, lam, dist, root[MAXARGS + 12];
} op_kept;

typedef struct {
    int n; /* the oldest first */
    op_kept e[OP_ROOTS_MAX];
} op_store;

/* rmt_dsm.batch._nearest_root: the kept root nearest to the point within C_WARM_STEP, at a
 * distance to the threshold within a factor C_DIST_RATIO of the point's; of equally near ones
 * the most recent; NULL when there is none */
static const op_kept *op_nearest(const op_ctx *c, const op_store *s, double psi_n, double psi_p, double lam,
                                 double dist) {
    const op_kept *best = NULL;
    double near = c->k[C_WARM_STEP], ratio = c->k[C_DIST_RATIO];
    for (int i = s->n - 1; i >= 0; i--) {
        const op_kept *e = &s->e[i];
        double step = fabs(psi_n / e->psi_n - 1), x = fabs(psi_p / e->psi_p - 1);
        if (x > step)
            step = x;
        if (e->lam != 0) {
            x = fabs(lam / e->lam - 1);
            if (x > step)
                step = x;
        }
        if ((step < near || (best == NULL && step == near)) && e->dist / dist <= ratio && dist / e->dist <= ratio) {
            best = e, near = step;
            if (step == 0)
                break;
        }
    }
    return best;
}

/* rmt_dsm.batch._keep_root: keep the root, forgetting the oldest beyond C_WARM_ROOTS */
static void op_keep(const op_ctx *c, op_store *s, const double *pt, const double *root) {
    if (s->n >= (int)c->k[C_WARM_ROOTS]) {
        memmove(&s->e[0], &s->e[1], (s->n - 1) * sizeof(op_kept));
        s->n--;
    }
    op_kept *e = &s->e[s->n++];
    e->psi_n = pt[0], e->psi_p = pt[1], e->lam = pt[2], e->dist = pt[3];
    memcpy(e->root, root, (c->p + 12) * sizeof(double));
}

/* a list of kept entries (psi_n, psi_p, lambda, distance, bytes of p + 12 doubles) into a store */
static int op_store_in(const op_ctx *c, PyObject *list, op_store *s) {
    Py_ssize_t n = PyList_Check(list) ? PyList_GET_SIZE(list) : -1;
    if (n < 0 || n > (Py_ssize_t)c->k[C_WARM_ROOTS]) {
        PyErr_SetString(PyExc_ValueError, "chain: a store is not a list of at most _WARM_ROOTS roots");
        return -1;
    }
    s->n = (int)n;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyList_GET_ITEM(list, i);
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 5) {
            PyErr_SetString(PyExc_ValueError, "chain: a kept root is not (psi_n, psi_p, lambda, distance, root)");
            return -1;
        }
        op_kept *e = &s->e[i];
        double *v[4] = {&e->psi_n, &e->psi_p, &e->lam, &e->dist};
        for (int j = 0; j < 4; j++)
            if ((*v[j] = PyFloat_AsDouble(PyTuple_GET_ITEM(t, j))) == -1.0 && PyErr_Occurred())
                return -1;
        const void *root = op_bytes(PyTuple_GET_ITEM(t, 4), c->p + 12, sizeof(double));
        if (root == NULL)
            return -1;
        memcpy(e->root, root, (c->p + 12) * sizeof(double));
    }
    return 0;
}

static PyObject *op_store_out(const op_ctx *c, const op_store *s) {
    PyObject *list = PyList_New(s->n);
    for (int i = 0; list != NULL && i < s->n; i++) {
        const op_kept *e = &s->e[i];
        PyObject *root = PyBytes_FromStringAndSize((const char *)e->root, (Py_ssize_t)((c->p + 12) * sizeof(double)));
        PyObject *t = root ? Py_BuildValue("(ddddN)", e->psi_n, e->psi_p, e->lam, e->dist, root) : NULL;
        if (t == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, t);
    }
    return list;
}

/* a C-contiguous buffer of exactly n items of `size` bytes (writable: `out`) */
static int op_buffer(PyObject *obj, Py_ssize_t n, size_t size, int out, Py_buffer *view) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | (out ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    if (view->len != (Py_ssize_t)(n * size)) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_ValueError, "chain: an array has the wrong size");
        return -1;
    }
    return 0;
}

/* rmt_dsm.batch._decimal: the double v read as the decimal Python prints it as (repr), rounded
 * to the nearest long double, as numpy reads that string.  A decimal D = digits 10^e with
 * |e| <= 27 is one correctly rounded product or quotient of two long doubles that are exact
 * (digits < 10^18 < 2^64, 10^|e| = 2^|e| 5^|e| with 5^27 < 2^64): the nearest long double to D.
 * Other decimals are read by strtold in the "C" locale (also correctly rounded). */
static locale_t OP_C_LOCALE = (locale_t)0;

static int op_decimal(double v, long double *out) {
    char *text = PyOS_double_to_string(v, 'r', 0, 0, NULL);
    if (text == NULL)
        return -1;
    const char *q = text;
    unsigned long long digits = 0;
    int neg = *q == '-', e = 0, fraction = 0, exact = 1;
    q += neg;
    for (; (*q >= '0' && *q <= '9') || *q == '.'; q++) {
        if (*q == '.') {
            fraction = 1;
            continue;
        }
        if (digits >= 100000000000000000ULL) /* a 19th digit: not exact in the product below */
            exact = 0;
        digits = digits * 10 + (unsigned long long)(*q - '0');
        e -= fraction;
    }
    if (*q == 'e') {
        int sign = q[1] == '-' ? -1 : 1, x = 0;
        for (q += (q[1] == '-' || q[1] == '+') ? 2 : 1; *q >= '0' && *q <= '9' && x < 10000; q++)
            x = x * 10 + (*q - '0');
        e += sign * x;
    }
    exact = exact && *q == '\0' && e >= -27 && e <= 27;
    if (exact) {
        long double scale = 1.0L, x = (long double)digits;
        for (int i = 0; i < (e < 0 ? -e : e); i++)
            scale *= 10.0L;
        x = e < 0 ? x / scale : x * scale;
        *out = neg ? -x : x;
    } else {
        if (OP_C_LOCALE == (locale_t)0)
            OP_C_LOCALE = newlocale(LC_ALL_MASK, "C", (locale_t)0);
        if (OP_C_LOCALE == (locale_t)0) {
            PyMem_Free(text);
            PyErr_SetString(PyExc_OSError, "chain: no C locale");
            return -1;
        }
        *out = strtold_l(text, NULL, OP_C_LOCALE);
    }
    PyMem_Free(text);
    return 0;
}

/* decimal(x): op_decimal(x) as bytes (tests/test_kernels.py compares it with numpy's reading of repr(x)) */
static PyObject *decimal(PyObject *mod, PyObject *x) {
    double v = PyFloat_AsDouble(x);
    long double out;
    if ((v == -1.0 && PyErr_Occurred()) || op_decimal(v, &out))
        return NULL;
    return PyBytes_FromStringAndSize((const char *)&out, (Py_ssize_t)sizeof(long double));
}

/* the root of a point of the chain (op_solve), certified later (op_finish) */
typedef struct {
    double g[3], f[3], J[9];
    int its, tainted, handed;
} op_root;

/* A chain in flight: the roots one after the other (op_steps), the certificates of the points
 * whose roots are there in any order (op_certificates).  Each thread (op_work) takes the roots
 * if no thread has taken them yet, then certifies; the caller's thread first reads the decimals
 * (with the interpreter's lock; op_decimal).  So the roots never wait for a thread that is slow
 * to start (an idle virtual core can take a millisecond to wake).  Every point gets the same
 * operations on either thread: the same bits. */
typedef struct {
    const op_ctx *c;
    const double *t64, *tm, *pts;
    const long double *tld;
    long double *lds;
    op_root *roots;
    op_store *stores;
    double *out;
    Py_ssize_t i0, N;
    atomic_long stepped;     /* the roots of points i0 .. stepped - 1 are there */
    atomic_int steps_over;   /* ... and no more will come */
    atomic_int decimals;     /* 1: lds are read; -1: reading them failed (stop) */
    atomic_long next;        /* the next point to certify */
    atomic_int roots_taken;  /* a thread computes the roots */
} op_chain_run;

/* certify points until none is left (wait for roots and decimals; C11 atomics order the writes) */
static void op_certificates(op_chain_run *w) {
    const op_ctx *c = w->c;
    double th[MAXARGS], thm[MAXARGS];
    long double thl[MAXARGS];
    while (atomic_load(&w->decimals) == 0)
        sched_yield();
    if (atomic_load(&w->decimals) < 0)
        return;
    for (;;) {
        Py_ssize_t i = atomic_fetch_add(&w->next, 1);
        while (i >= atomic_load(&w->stepped) && !atomic_load(&w->steps_over))
            sched_yield();
        if (i >= atomic_load(&w->stepped))
            return;
        const double *P = w->pts + 6 * i;
        const long double *L = w->lds + 3 * i;
        op_root *R = &w->roots[i];
        double *row = w->out + 12 * i;
        int primal = P[5] != 0, itm;
        op_theta(c, w->t64, w->tld, w->tm, P[0], P[1], P[2], L[0], L[1], L[2], primal, th, thl, thm);
        R->handed = op_finish(c, R->g, R->f, R->J, th, thl, thm, w->t64, w->tld, w->tm, primal, row, row + 5,
                              row + 10, &itm) != OP_DONE || R->tainted;
        row[11] = R->its + itm;
    }
}

/* the root of each point in turn, from the nearest kept root (`_nearest_root`) or cold, kept
 * (`_keep_root`), until a point the Python path must decide */
static void op_steps(op_chain_run *w) {
    const op_ctx *c = w->c;
    int p = c->p;
    double th[MAXARGS], thm[MAXARGS], kept[MAXARGS + 12];
    long double thl[MAXARGS];
    const long double zero[3] = {0, 0, 0}; /* theta in long double is not needed for the root */
    for (Py_ssize_t i = w->i0; i < w->N; i++) {
        const double *P = w->pts + 6 * i;
        op_root *R = &w->roots[i];
        int primal = P[5] != 0, status = OP_COLD;
        op_store *st = &w->stores[2 * primal + (P[2] == 0)];
        op_theta(c, w->t64, w->tld, w->tm, P[0], P[1], P[2], zero[0], zero[1], zero[2], primal, th, thl, thm);
        const op_kept *best = op_nearest(c, st, P[0], P[1], P[2], P[3]);
        if (best != NULL)
            status = op_solve(c, th, primal, P[2], best->root, -1, R->g, R->f, R->J, &R->its, &R->tainted);
        if (status == OP_COLD)
            status = op_solve(c, th, primal, P[2], P + 4, -2, R->g, R->f, R->J, &R->its, &R->tainted);
        if (status == OP_HAND)
            break;
        memcpy(kept, th, p * sizeof(double));
        memcpy(kept + p, R->g, 3 * sizeof(double));
        memcpy(kept + p + 3, R->J, 9 * sizeof(double));
        op_keep(c, st, P, kept);
        atomic_store(&w->stepped, i + 1);
    }
    atomic_store(&w->steps_over, 1);
}

#ifndef _WIN32
/* Start the second thread on another core than this one: the scheduler puts a new thread on its
 * parent's core, and an idle (virtual) core takes it over only late -- measured here: after the
 * 3 ms the parent then kept busy, against 0.1-0.2 ms on another core.  (Linux; elsewhere the
 * scheduler decides.) */
static void op_elsewhere(pthread_attr_t *attr) {
#ifdef __linux__
    cpu_set_t others;
    int here = sched_getcpu();
    if (here >= 0 && sched_getaffinity(0, sizeof others, &others) == 0) {
        CPU_CLR(here, &others);
        if (CPU_COUNT(&others) > 0)
            pthread_attr_setaffinity_np(attr, sizeof others, &others);
    }
#else
    (void)attr;
#endif
}
#endif

/* the roots if no other thread has taken them, then certificates */
static void op_work(op_chain_run *w) {
    int none = 0;
    if (atomic_compare_exchange_strong(&w->roots_taken, &none, 1))
        op_steps(w);
    op_certificates(w);
}

#ifndef _WIN32
static void *op_work_thread(void *arg) {
    op_work(arg);
    return NULL;
}
#endif

/* chain(one, t64, tld, tm, points, stores, i0, out, threads) -> (i, stores):
 *   one: a callable of `one_point` (its bound path); t64, tld, tm: as op_call's, for every point;
 *   points: N x 6 doubles (psi_n, psi_p, lambda, distance to the threshold `_distance`, floor of
 *           the ridge ladder `_ladder_floor`, 1 in the primal chart else 0), the ratios and lambda
 *           read as decimals here (op_decimal);
 *   stores: 4 lists of kept roots as `_WARM` keeps them, by 2 primal + (lambda == 0);
 *   out: N x 12 doubles written from row i0 on (values, accuracy, residual, iterations);
 *   threads: 1, or 2 (the roots on one thread while the other certifies: op_chain_run).
 * Solves points i0, i0 + 1, ... until one the Python path must decide, and returns its index (N
 * when none) and the stores as they are then.  The roots come one after the other, each from the
 * roots kept before it, as if every point were certified; where a certificate fails the chain
 * stops at that point, and the stores keep the roots before it only.  The interpreter's lock is
 * released while the roots and certificates are computed. */
static PyObject *chain(PyObject *mod, PyObject *const *av, Py_ssize_t na) {
    if (na != 9 || !PyCFunction_Check(av[0])) {
        PyErr_SetString(PyExc_TypeError, "chain(one, t64, tld, tm, points, stores, i0, out, threads)");
        return NULL;
    }
    const op_ctx *c = PyCapsule_GetPointer(PyCFunction_GET_SELF(av[0]), "rmt_dsm.one_point");
    if (c == NULL)
        return NULL;
    int p = c->p;
    const double *t64 = op_bytes(av[1], p + 5, sizeof(double)), *tm = op_bytes(av[3], p + 5, sizeof(double));
    const long double *tld = op_bytes(av[2], p + 5, sizeof(long double));
    Py_ssize_t i0 = PyLong_AsSsize_t(av[6]);
    long threads = PyLong_AsLong(av[8]);
    if (!t64 || !tm || !tld || PyErr_Occurred())
        return NULL;
    if (!PyTuple_Check(av[5]) || PyTuple_GET_SIZE(av[5]) != 4) {
        PyErr_SetString(PyExc_TypeError, "chain: stores must be a tuple of 4 lists");
        return NULL;
    }
    Py_buffer vp, vo;
    if (PyObject_GetBuffer(av[4], &vp, PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    Py_ssize_t N = vp.len / (Py_ssize_t)(6 * sizeof(double));
    PyBuffer_Release(&vp);
    if (op_buffer(av[4], N, 6 * sizeof(double), 0, &vp))
        return NULL;
    if (op_buffer(av[7], N, 12 * sizeof(double), 1, &vo)) {
        PyBuffer_Release(&vp);
        return NULL;
    }
    op_store *S = PyMem_Malloc(8 * sizeof(op_store)); /* the stores, and as they were on entry */
    long double *lds = PyMem_Malloc((N > 0 ? N : 1) * 3 * sizeof(long double));
    op_root *roots = PyMem_Malloc((N > 0 ? N : 1) * sizeof(op_root));
    int bad = S == NULL || lds == NULL || roots == NULL;
    if (bad)
        PyErr_NoMemory();
    else if ((bad = i0 < 0 || i0 > N || threads < 1 || threads > 2))
        PyErr_SetString(PyExc_ValueError, "chain: i0 out of range, or threads not 1 or 2");
    for (int k = 0; k < 4 && !bad; k++)
        bad = op_store_in(c, PyTuple_GET_ITEM(av[5], k), &S[k]);
    PyObject *res = NULL;
    if (!bad) {
        const double *pts = vp.buf;
        memcpy(&S[4], &S[0], 4 * sizeof(op_store));
        op_chain_run w = {.c = c, .t64 = t64, .tm = tm, .pts = pts, .tld = tld, .lds = lds, .roots = roots,
                          .stores = S, .out = vo.buf, .i0 = i0, .N = N};
        atomic_init(&w.stepped, i0);
        atomic_init(&w.steps_over, 0);
        atomic_init(&w.decimals, 0);
        atomic_init(&w.next, i0);
        atomic_init(&w.roots_taken, 0);
#ifndef _WIN32
        pthread_t other;
        pthread_attr_t attr;
        int two = threads == 2 && N - i0 >= OP_THREAD_MIN && pthread_attr_init(&attr) == 0;
        if (two) {
            op_elsewhere(&attr);
            two = pthread_create(&other, &attr, op_work_thread, &w) == 0;
            pthread_attr_destroy(&attr);
        }
#else
        int two = 0;
#endif
        /* the decimals, each value read once along a run of equal ones */
        for (Py_ssize_t i = i0; i < N && !bad; i++)
            for (int j = 0; j < 3 && !bad; j++) {
                double v = pts[6 * i + j];
                if (i > i0 && v == pts[6 * (i - 1) + j] && signbit(v) == signbit(pts[6 * (i - 1) + j]))
                    lds[3 * i + j] = lds[3 * (i - 1) + j];
                else
                    bad = op_decimal(v, &lds[3 * i + j]);
            }
        atomic_store(&w.decimals, bad ? -1 : 1);
        Py_ssize_t stop;
        Py_BEGIN_ALLOW_THREADS
        op_work(&w);
#ifndef _WIN32
        if (two)
            pthread_join(other, NULL);
#endif
        stop = atomic_load(&w.stepped);
        /* the first point not certified ends the chain: the stores keep the roots before it only */
        for (Py_ssize_t i = i0; i < stop && !bad; i++)
            if (roots[i].handed) {
                double th[MAXARGS], thm[MAXARGS], kept[MAXARGS + 12];
                long double thl[MAXARGS];
                memcpy(&S[0], &S[4], 4 * sizeof(op_store));
                for (Py_ssize_t j = i0; j < i; j++) {
                    const double *P = pts + 6 * j;
                    int primal = P[5] != 0;
                    op_theta(c, t64, tld, tm, P[0], P[1], P[2], 0, 0, 0, primal, th, thl, thm);
                    memcpy(kept, th, p * sizeof(double));
                    memcpy(kept + p, roots[j].g, 3 * sizeof(double));
                    memcpy(kept + p + 3, roots[j].J, 9 * sizeof(double));
                    op_keep(c, &S[2 * primal + (P[2] == 0)], P, kept);
                }
                stop = i;
                break;
            }
        Py_END_ALLOW_THREADS
        PyObject *out_stores = bad ? NULL : PyTuple_New(4);
        for (int k = 0; out_stores != NULL && k < 4; k++) {
            PyObject *l = op_store_out(c, &S[k]);
            if (l == NULL)
                Py_CLEAR(out_stores);
            else
                PyTuple_SET_ITEM(out_stores, k, l);
        }
        res = out_stores ? Py_BuildValue("(nN)", stop, out_stores) : NULL;
    }
    PyMem_Free(S);
    PyMem_Free(lds);
    PyMem_Free(roots);
    PyBuffer_Release(&vp);
    PyBuffer_Release(&vo);
    return res;
}

static PyMethodDef OP_CALL = {"one_point", (PyCFunction)(void (*)(void))op_call, METH_FASTCALL,
                              "The one-point path of rmt_dsm.batch._one (see rmt_dsm/compiled/one_point.h)."};

static void op_free(PyObject *capsule) { PyMem_Free(PyCapsule_GetPointer(capsule, "rmt_dsm.one_point")); }

static int op_index(PyObject *seq, Py_ssize_t i, int lo, int hi, int *out) {
    long v = PyLong_AsLong(PyTuple_GET_ITEM(seq, i));
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (v < lo || v >= hi) {
        PyErr_SetString(PyExc_ValueError, "one_point: an index out of range");
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* one_point(kernels, obs, positions, constants) -> the callable `op_call`:
 *   kernels: the indices of f, fj, ft_0 .. ft_{p-1}, Q, X1, dQ_dg, dQ_dtheta, errors_primal,
 *            errors_dual in the table;
 *   obs: the positions in theta of the observables' parameters after the unknowns;
 *   positions: (x, y, epsilon, psi_n, psi_p, s_h) in theta; constants: C_COUNT floats (enum above) */
static PyObject *one_point(PyObject *mod, PyObject *args) {
    PyObject *ks, *obs, *pos, *consts;
    if (!PyArg_ParseTuple(args, "O!O!O!O!", &PyTuple_Type, &ks, &PyTuple_Type, &obs, &PyTuple_Type, &pos,
                          &PyTuple_Type, &consts))
        return NULL;
    int nk;
    const kernel *K = kernels_table(&nk);
    Py_ssize_t n = PyTuple_GET_SIZE(ks);
    if (n < 9 || n - 8 > MAXARGS || PyTuple_GET_SIZE(obs) > MAXARGS || PyTuple_GET_SIZE(pos) != 6 ||
        PyTuple_GET_SIZE(consts) != C_COUNT) {
        PyErr_SetString(PyExc_ValueError, "one_point: wrong numbers of kernels, positions or constants");
        return NULL;
    }
    op_ctx *c = PyMem_Calloc(1, sizeof(op_ctx));
    if (c == NULL)
        return PyErr_NoMemory();
    c->K = K;
    c->p = (int)(n - 8);
    c->nobs = (int)PyTuple_GET_SIZE(obs);
    int *slots[8] = {&c->Q, &c->X1, &c->dQg, &c->dQt, &c->err[0], &c->err[1], &c->f, &c->fj};
    int bad = op_index(ks, 0, 0, nk, &c->f) || op_index(ks, 1, 0, nk, &c->fj);
    for (int i = 0; i < c->p && !bad; i++)
        bad = op_index(ks, 2 + i, 0, nk, &c->col[i]);
    for (int i = 0; i < 6 && !bad; i++)
        bad = op_index(ks, 2 + c->p + i, 0, nk, slots[i]);
    for (int i = 0; i < c->nobs && !bad; i++)
        bad = op_index(obs, i, 0, c->p, &c->obs[i]);
    int *where[6] = {&c->i_x, &c->i_y, &c->i_eps, &c->i_pn, &c->i_pp, &c->i_s};
    for (int i = 0; i < 6 && !bad; i++)
        bad = op_index(pos, i, 0, c->p, where[i]);
    for (int i = 0; i < C_COUNT && !bad; i++) {
        c->k[i] = PyFloat_AsDouble(PyTuple_GET_ITEM(consts, i));
        bad = c->k[i] == -1.0 && PyErr_Occurred();
    }
    if (!bad && !(c->k[C_WARM_ROOTS] >= 1 && c->k[C_WARM_ROOTS] <= OP_ROOTS_MAX)) {
        PyErr_SetString(PyExc_ValueError, "one_point: _WARM_ROOTS out of range (1 to OP_ROOTS_MAX)");
        bad = 1;
    }
    /* the shapes the path assumes: 3 unknowns, and the arguments and outputs of each kernel */
    if (!bad) {
        int sys_args = 3 + c->p, obs_args = 3 + c->nobs;
        bad = K[c->f].nargs != sys_args || K[c->f].nout != 3 || K[c->fj].nargs != sys_args || K[c->fj].nout != 12;
        for (int i = 0; i < c->p; i++)
            bad = bad || K[c->col[i]].nargs != sys_args || K[c->col[i]].nout != 3;
        bad = bad || K[c->Q].nargs != obs_args || K[c->Q].nout != 1 || K[c->X1].nargs != obs_args ||
              K[c->X1].nout != 1 || K[c->dQg].nargs != obs_args || K[c->dQg].nout != 3 ||
              K[c->dQt].nargs != obs_args || K[c->dQt].nout != 3;
        for (int i = 0; i < 2; i++)
            bad = bad || K[c->err[i]].nargs != 11 || K[c->err[i]].nout != 5;
        if (bad)
            PyErr_SetString(PyExc_ValueError, "one_point: the kernels do not have the shapes of the DSM path");
    }
    if (bad) {
        PyMem_Free(c);
        return NULL;
    }
    PyObject *capsule = PyCapsule_New(c, "rmt_dsm.one_point", op_free);
    if (capsule == NULL) {
        PyMem_Free(c);
        return NULL;
    }
    PyObject *fn = PyCFunction_New(&OP_CALL, capsule);
    Py_DECREF(capsule);
    return fn;
}

/* ---------------------------------------------------------------- the results of a chain */
/* set d[key] = value and release value (a new reference; NULL: an error already set) */
static int op_set_new(PyObject *d, PyObject *key, PyObject *value) {
    if (value == NULL)
        return -1;
    int status = PyDict_SetItem(d, key, value);
    Py_DECREF(value);
    return status;
}

/* records(cls, params, table, ratios, charts, coefficients) -> list:
 * `rmt_dsm.result._double_result` for each row of the chain's table (N x 12 doubles: values,
 * accuracy, residual, iterations), as `rmt_dsm.batch._along_ratios` calls it: an object of the
 * class `cls` (`Errors`, made by object.__new__) whose attributes are the same entries in the
 * same order; its params a copy of the dict `params` with psi_n, psi_p set from `ratios` (N x 2
 * doubles); its chart "primal" (charts[i] = 1) or "dual" (2); None where charts[i] = 0. */
static PyObject *records(PyObject *mod, PyObject *const *av, Py_ssize_t na) {
    static const char *NAMES[14] = {"train", "test", "score", "gap", "floor", "params", "residual", "iterations",
                                    "chart", "accuracy", "coefficients", "solution", "diverged", "quadrature"};
    if (na != 6 || !PyType_Check(av[0]) || !PyDict_Check(av[1])) {
        PyErr_SetString(PyExc_TypeError, "records(cls, params, table, ratios, charts, coefficients)");
        return NULL;
    }
    PyTypeObject *cls = (PyTypeObject *)av[0];
    Py_buffer vc, vt, vr;
    if (PyObject_GetBuffer(av[4], &vc, PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    Py_ssize_t n = vc.len;
    if (op_buffer(av[2], n, 12 * sizeof(double), 0, &vt)) {
        PyBuffer_Release(&vc);
        return NULL;
    }
    if (op_buffer(av[3], n, 2 * sizeof(double), 0, &vr)) {
        PyBuffer_Release(&vc);
        PyBuffer_Release(&vt);
        return NULL;
    }
    PyObject *keys[14] = {NULL}, *psi[2] = {NULL}, *charts[2] = {NULL}, *empty = PyTuple_New(0), *out = NULL;
    int bad = empty == NULL;
    for (int k = 0; k < 14 && !bad; k++)
        bad = (keys[k] = PyUnicode_InternFromString(NAMES[k])) == NULL;
    if (!bad)
        bad = (psi[0] = PyUnicode_InternFromString("psi_n")) == NULL ||
              (psi[1] = PyUnicode_InternFromString("psi_p")) == NULL ||
              (charts[0] = PyUnicode_InternFromString("primal")) == NULL ||
              (charts[1] = PyUnicode_InternFromString("dual")) == NULL;
    if (!bad)
        bad = (out = PyList_New(n)) == NULL;
    const unsigned char *chart = vc.buf;
    const double *table = vt.buf, *ratios = vr.buf;
    /* the entries every record shares, in their order; each record's dict is a copy of it */
    PyObject *proto = bad ? NULL : PyDict_New();
    bad = proto == NULL;
    for (int k = 0; k < 14 && !bad; k++)
        bad = PyDict_SetItem(proto, keys[k], k == 10 ? av[5] : k == 12 ? Py_False : Py_None);
    for (Py_ssize_t i = 0; i < n && !bad; i++) {
        if (chart[i] == 0 || chart[i] > 2) {
            Py_INCREF(Py_None);
            PyList_SET_ITEM(out, i, Py_None);
            continue;
        }
        const double *row = table + 12 * i;
        PyObject *obj = PyBaseObject_Type.tp_new(cls, empty, NULL);
        PyObject *d = obj ? PyDict_Copy(proto) : NULL;
        PyObject *params = d ? PyDict_Copy(av[1]) : NULL, *accuracy = params ? PyDict_New() : NULL;
        bad = accuracy == NULL;
        for (int k = 0; k < 2 && !bad; k++)
            bad = op_set_new(params, psi[k], PyFloat_FromDouble(ratios[2 * i + k]));
        for (int k = 0; k < 5 && !bad; k++)
            bad = op_set_new(accuracy, keys[k], PyFloat_FromDouble(row[5 + k]));
        for (int k = 0; k < 5 && !bad; k++)
            bad = op_set_new(d, keys[k], PyFloat_FromDouble(row[k]));
        bad = bad || PyDict_SetItem(d, keys[5], params) || op_set_new(d, keys[6], PyFloat_FromDouble(row[10])) ||
              op_set_new(d, keys[7], PyLong_FromDouble(row[11])) || PyDict_SetItem(d, keys[8], charts[chart[i] - 1]) ||
              PyDict_SetItem(d, keys[9], accuracy) || PyObject_GenericSetDict(obj, d, NULL);
        Py_XDECREF(params);
        Py_XDECREF(accuracy);
        Py_XDECREF(d);
        if (bad)
            Py_XDECREF(obj);
        else
            PyList_SET_ITEM(out, i, obj);
    }
    Py_XDECREF(proto);
    if (bad)
        Py_CLEAR(out);
    for (int k = 0; k < 14; k++)
        Py_XDECREF(keys[k]);
    for (int k = 0; k < 2; k++) {
        Py_XDECREF(psi[k]);
        Py_XDECREF(charts[k]);
    }
    Py_XDECREF(empty);
    PyBuffer_Release(&vc);
    PyBuffer_Release(&vt);
    PyBuffer_Release(&vr);
    return out;
}
