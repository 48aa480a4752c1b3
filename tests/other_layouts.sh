#!/usr/bin/env bash
# Run the given pytest arguments under this machine's kernels and again under AVX2 kernels, so that a
# test over the sample's issues is seen on several UMAP layouts before CI meets another CPU family.
#
# The sample's issues follow the last bits of the embeddings and of numba's compiled UMAP, which
# differ between CPU families (docs/architecture.md, "golden copies"). Restricting torch, oneDNN,
# MKL, numpy and numba to AVX2 here changes those bits and so the layout; it does not reproduce
# another family's layout bit for bit (its golden copy still differs), so it stands in for layout
# variety, not for a family. Usage: tests/other_layouts.sh "tests/test_issue_merges.py" [-k ...];
# LAYOUTS="avx2-everywhere" runs only the variants named (default: host avx2 avx2-everywhere).
# The golden tests fail under the AVX2 variants by design (a copy holds for its family's layout):
# leave them out with -k "not recorded_run".
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
export OPENBLAS_CORETYPE=Haswell HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# This CPU's features for LLVM with every AVX-512 and AMX extension switched off.
no_avx512=$("$PYTHON" -c '
import llvmlite.binding as ll
wide = ("avx512", "amx", "evex512", "avx10")
print(",".join(("-" if k.startswith(wide) else "+" if v else "-") + k for k, v in sorted(ll.get_host_cpu_features().items())))')
avx2=(ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 "NPY_DISABLE_CPU_FEATURES=X86_V4 AVX512_ICL AVX512_SPR")
failed=0
for variant in ${LAYOUTS:-host avx2 avx2-everywhere}; do
    case $variant in
        host) settings=() ;;
        avx2) settings=("${avx2[@]}") ;;
        avx2-everywhere) settings=("${avx2[@]}" MKL_ENABLE_INSTRUCTIONS=AVX2 NUMBA_CPU_NAME=haswell "NUMBA_CPU_FEATURES=$no_avx512") ;;
    esac
    cache=$(mktemp -d)  # numba's compiled UMAP per variant, so that no variant runs another's code
    if env "${settings[@]}" NUMBA_CACHE_DIR="$cache" "$PYTHON" -m pytest -q -p no:cacheprovider "$@"; then
        echo "layout $variant: passed"
    else
        echo "layout $variant: FAILED"
        failed=1
    fi
    rm -rf "$cache"
done
exit $failed
