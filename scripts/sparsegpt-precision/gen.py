# Developer tool (not used by the product or its tests): python3 gen.py full|rank N ROWS TOKENS [DIR]; needs numpy + scipy.
# Reference data for the SparseGPT float32-vs-float64 study: H (damped, as runSparseGPT forms it), U64 = chol(H^-1)
# upper in float64 LAPACK, W rows. case 'rank': X = (F·B + 0.5·noise)·S with T tokens (README's generator's
# distribution); case 'full': its expectation over 262,144 tokens, G = S·T·(BᵀB + 0.25·I)·S (full rank).
import sys, time, numpy as np, scipy.linalg.lapack as lp
case, n, rows, T = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
out = f"{sys.argv[5] if len(sys.argv) > 5 else '.cache/study'}/{case}{n}"
rng = np.random.default_rng(1)
B = rng.standard_normal((32, n)).astype(np.float32)
s = np.exp(rng.standard_normal(n))
t = time.time()
if case == 'rank':
    F = rng.standard_normal((T, 32)).astype(np.float32)
    X = (F @ B + 0.5 * rng.standard_normal((T, n)).astype(np.float32)) * s.astype(np.float32)
    G = (X.T.astype(np.float64) @ X.astype(np.float64)) if n <= 4096 else (X.T @ X).astype(np.float64)
    del X
else:
    G = B.T.astype(np.float64) @ B.astype(np.float64)
    G[np.diag_indices(n)] += 0.25
    G *= T
    G *= s[:, None]; G *= s[None, :]
G = (G + G.T) / 2
print('gram', time.time() - t, flush=True)
H = G * (2.0 / T); del G
damp = 0.01 * np.mean(np.diag(H))
H[np.diag_indices(n)] += damp
H.tofile(out + '.H.f64')
t = time.time()
Hr = np.ascontiguousarray(H[::-1, ::-1]); del H
L, info = lp.dpotrf(Hr, lower=1, clean=1); assert info == 0, info
del Hr
Li, info = lp.dtrtri(L, lower=1); assert info == 0, info
del L
U = np.ascontiguousarray(Li[::-1, ::-1]); del Li
print('u64', time.time() - t, flush=True)
U.tofile(out + '.U64.f64')
W = (0.02 * rng.standard_normal((rows, n))).astype(np.float32)
W.tofile(out + '.W.f32')
print('done', out, flush=True)
