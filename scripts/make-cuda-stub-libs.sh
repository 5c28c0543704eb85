#!/usr/bin/env bash
# Builds the two stand-ins for onnxruntime's CUDA provider libraries in test/fixtures/cuda, for the
# test of `--device cuda` on an install that has the provider but not the CUDA libraries:
#   libonnxruntime_providers_shared.so  exports Provider_SetHost, which onnxruntime looks up first;
#   libonnxruntime_providers_cuda.so    needs libcublasLt.so.12 (as the real one does), absent here.
# Neither runs any code in the test: the dynamic loader refuses the second before that.
set -euo pipefail
cd "$(dirname "$0")/.."
out=test/fixtures/cuda
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags=(-shared -fPIC -O2 -Wl,-s -Wl,--build-id=none)
echo 'void Provider_SetHost(void *host) { (void)host; }' > "$tmp/shared.c"
gcc "${flags[@]}" -o "$out/libonnxruntime_providers_shared.so" "$tmp/shared.c"
echo 'int cublasLtCreate(void *h) { (void)h; return 0; }' > "$tmp/cublaslt.c"
gcc "${flags[@]}" -Wl,-soname,libcublasLt.so.12 -o "$tmp/libcublasLt.so.12" "$tmp/cublaslt.c"
echo 'extern int cublasLtCreate(void *); int GetProvider(void) { return cublasLtCreate(0); }' > "$tmp/cuda.c"
gcc "${flags[@]}" -o "$out/libonnxruntime_providers_cuda.so" "$tmp/cuda.c" -L"$tmp" -l:libcublasLt.so.12
ls -l "$out"/*.so
