#pragma once
// XLA's iota tile assignment / iota replica group list: take iota(prod(reshape_dims)), reshape to
// reshape_dims, transpose by perm, flatten (row-major). Shardings `{devices=[2,4]<=[4,2]T(1,0)}`
// and replica groups `[4,2]<=[2,4]T(1,0)` both use it (shared/reference/hlo-text.md section 6.2).

#include <cstdint>
#include <string_view>
#include <vector>

#include "aoizora/util/result.h"

namespace aoizora {

// The flattened device order. Errors name the offending dims/perm (perm must be a permutation of
// 0..rank-1; an empty perm means identity; dims must be positive; at most 2^20 elements).
Result<std::vector<int64_t>> ExpandIota(const std::vector<int64_t>& reshape_dims,
                                        const std::vector<int64_t>& perm);

// Replica groups from the compact form `[G,S]<=[dims]T(perm)`: G groups of S consecutive ids of
// the expanded iota. G*S must equal prod(dims).
Result<std::vector<std::vector<int64_t>>> ExpandIotaGroups(int64_t num_groups, int64_t group_size,
                                                           const std::vector<int64_t>& reshape_dims,
                                                           const std::vector<int64_t>& perm);

// Parses the text form "[G,S]<=[d0,d1,...]" with optional "T(p0,p1,...)" (spaces allowed).
Result<std::vector<std::vector<int64_t>>> ParseIotaGroups(std::string_view text);

}  // namespace aoizora
