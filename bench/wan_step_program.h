#pragma once
// A hand-built step program with the shape of one Wan 2.1 14B denoising step (720p, 81 frames:
// 75,600 video tokens, 512 text tokens; 40 layers, hidden 5120, 40 heads of 128, FFN 13,824;
// shared/reference and docs/wan21.md) on a (cfg, ulysses[, ring]) logical mesh, with FSDP weight
// sharding over the sequence axes. Until a compiled Wan 14B fixture exists it stands in for the
// analyzer's output: the collective mix of a real step (per layer 10 weight all-gathers, 4
// Ulysses all-to-alls, ring-attention KV permutes when ring > 1; a CFG combine at the end), each
// with its own bytes, so it has a few dozen distinct collectives. Used by the benchmarks only.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "aoizora/program/step_program.h"

namespace aoizora::bench {

struct WanMesh {
  int64_t cfg = 2;
  int64_t ulysses = 8;
  int64_t ring = 1;
  std::vector<int64_t> shape() const {
    return ring > 1 ? std::vector<int64_t>{cfg, ulysses, ring} : std::vector<int64_t>{cfg, ulysses};
  }
  int64_t devices() const { return cfg * ulysses * ring; }
};

inline DeviceGroups GroupsOver(const WanMesh& mesh, const std::vector<size_t>& axes) {
  const std::vector<int64_t> shape = mesh.shape();
  const int64_t n = mesh.devices();
  std::vector<int64_t> stride(shape.size(), 1);
  for (size_t j = shape.size() - 1; j-- > 0;) stride[j] = stride[j + 1] * shape[j + 1];
  DeviceGroups groups;
  std::vector<bool> used(n, false);
  for (int64_t id = 0; id < n; ++id) {
    if (used[id]) continue;
    std::vector<int64_t> group = {id};
    for (size_t a : axes) {
      std::vector<int64_t> next;
      for (int64_t member : group) {
        const int64_t base = member - ((member / stride[a]) % shape[a]) * stride[a];
        for (int64_t i = 0; i < shape[a]; ++i) next.push_back(base + i * stride[a]);
      }
      group = next;
    }
    std::sort(group.begin(), group.end());
    group.erase(std::unique(group.begin(), group.end()), group.end());
    for (int64_t m : group) used[m] = true;
    groups.push_back(group);
  }
  return groups;
}

inline StepOp Matmul(std::string name, int64_t m, int64_t n, int64_t k, double multiplicity,
                     int64_t batch = 1) {
  ComputeOp op;
  op.name = std::move(name);
  op.opcode = "fusion";
  op.matmuls.push_back({batch, m, n, k});
  op.flops = 2.0 * batch * m * n * k;
  op.bytes_accessed = 2.0 * batch * (m * k + k * n + m * n);
  return {op, multiplicity};
}

inline StepOp Elementwise(std::string name, double bytes, double multiplicity) {
  ComputeOp op;
  op.name = std::move(name);
  op.opcode = "fusion";
  op.flops = bytes / 2;
  op.bytes_accessed = bytes;
  return {op, multiplicity};
}

inline StepOp Coll(std::string name, CollectiveKind kind, double payload, DeviceGroups groups,
                   double multiplicity) {
  CollectiveOp op;
  op.name = std::move(name);
  op.kind = kind;
  op.payload_bytes = payload;
  op.group_size = static_cast<int64_t>(groups.front().size());
  op.groups = std::move(groups);
  return {op, multiplicity};
}

// body_copies > 1 lists the layer body that many times (multiplicity 40 / copies each) and
// perturbs every collective's bytes by a relative 1e-9 per op, so no two collectives are
// identical: the worst case for scoring (nothing deduplicates), with a few dozen distinct ones.
inline StepProgram WanStepProgram(const WanMesh& mesh, int body_copies = 1) {
  constexpr int64_t kTokens = 75600, kText = 512, kHidden = 5120, kHeads = 40, kHeadDim = 128,
                    kFfn = 13824, kLayers = 40, kTextDim = 4096;
  constexpr double kBf16 = 2.0;
  const int64_t sp = mesh.ulysses * mesh.ring;
  const int64_t local_tokens = kTokens / sp;
  const int64_t heads = kHeads / mesh.ulysses;
  const int64_t ring_tokens = kTokens / mesh.ring;
  const double layers = static_cast<double>(kLayers) / body_copies;
  const bool perturb = body_copies > 1;
  const DeviceGroups seq_groups =
      GroupsOver(mesh, mesh.ring > 1 ? std::vector<size_t>{1, 2} : std::vector<size_t>{1});
  const DeviceGroups uly_groups = GroupsOver(mesh, {1});
  StepProgram p;
  p.module_name = "wan21_14b_step_hand_built";
  p.num_partitions = mesh.devices();
  auto add = [&](StepOp op) {
    if (auto* c = std::get_if<CollectiveOp>(&op.op); c && perturb) {
      c->payload_bytes *= 1.0 + 1e-9 * static_cast<double>(p.ops.size());
    }
    p.ops.push_back(std::move(op));
  };
  auto add_async_gather = [&](const std::string& name, double gathered_bytes, size_t window_ops) {
    StepOp op = Coll(name, CollectiveKind::kAllGather, gathered_bytes, seq_groups, layers);
    auto& c = std::get<CollectiveOp>(op.op);
    c.is_async = true;
    c.window_begin = static_cast<int64_t>(p.ops.size()) + 1;
    c.window_end = c.window_begin + static_cast<int64_t>(window_ops);
    add(std::move(op));
  };
  add(Matmul("patch_embed", local_tokens, kHidden, 64, 1));
  add(Matmul("text_embed", kText, kHidden, kTextDim, 1));
  for (int copy = 0; copy < body_copies; ++copy) {
    // Layer body (multiplicity 40): FSDP gathers of the next weights overlap the current compute.
    const char* weights[] = {"wq",       "wk",       "wv",       "wo",     "cross_wq",
                             "cross_wk", "cross_wv", "cross_wo", "ffn_up", "ffn_down"};
    const double weight_bytes[] = {kHidden * kHidden * kBf16,  kHidden * kHidden * kBf16,
                                   kHidden * kHidden * kBf16,  kHidden * kHidden * kBf16,
                                   kHidden * kHidden * kBf16,  kTextDim * kHidden * kBf16,
                                   kTextDim * kHidden * kBf16, kHidden * kHidden * kBf16,
                                   kHidden * kFfn * kBf16,     kHidden * kFfn * kBf16};
    for (int w = 0; w < 10; ++w) {
      add_async_gather(std::string("all-gather-start.") + weights[w], weight_bytes[w], 2);
      add(Matmul(std::string("proj.") + weights[w], local_tokens,
                 w >= 8 ? (w == 8 ? kFfn : kHidden) : kHidden, w == 9 ? kFfn : kHidden, layers));
      add(Elementwise(std::string("norm.") + std::to_string(w), local_tokens * kHidden * kBf16 * 3,
                      layers));
    }
    // Ulysses: q, k, v sequence-sharded -> head-sharded, attention, output back.
    const double qkv_bytes = static_cast<double>(local_tokens) * kHidden * kBf16;
    for (const char* t : {"q", "k", "v"}) {
      add(Coll(std::string("all-to-all.") + t, CollectiveKind::kAllToAll, qkv_bytes, uly_groups,
               layers));
    }
    // Attention over the full (ring-local) sequence with `heads` heads: QK^T and AV.
    add(Matmul("attn.qk", ring_tokens, ring_tokens / mesh.ring, kHeadDim, layers, heads));
    if (mesh.ring > 1) {
      const DeviceGroups ring_groups = GroupsOver(mesh, {2});
      SourceTargetPairs pairs;
      for (const auto& g : ring_groups) {
        for (size_t i = 0; i < g.size(); ++i) pairs.emplace_back(g[i], g[(i + 1) % g.size()]);
      }
      for (const char* t : {"k", "v"}) {
        CollectiveOp op;
        op.name = std::string("collective-permute-start.") + t;
        op.kind = CollectiveKind::kCollectivePermute;
        op.payload_bytes = static_cast<double>(ring_tokens / mesh.ring) * heads * kHeadDim * kBf16;
        op.group_size = 2;
        op.pairs = pairs;
        op.is_async = true;
        op.window_begin = static_cast<int64_t>(p.ops.size()) + 1;
        op.window_end = op.window_begin + 1;
        add({op, layers * (mesh.ring - 1)});
        add(Matmul(std::string("attn.ring.") + t, ring_tokens, ring_tokens / mesh.ring, kHeadDim,
                   layers * (mesh.ring - 1), heads));
      }
    }
    add(Matmul("attn.av", ring_tokens, kHeadDim, ring_tokens, layers, heads));
    add(Coll("all-to-all.out", CollectiveKind::kAllToAll, qkv_bytes, uly_groups, layers));
    // Cross attention over the 512 text tokens (heads sharded the same way).
    add(Matmul("cross.qk", local_tokens, kText, kHeadDim, layers, kHeads));
    add(Matmul("cross.av", local_tokens, kHeadDim, kText, layers, kHeads));
  }
  // Head, then the CFG combine: each half needs the other's prediction.
  add(Matmul("head", local_tokens, 64, kHidden, 1));
  add(Coll("all-gather.cfg", CollectiveKind::kAllGather, 2.0 * local_tokens * 64 * 4.0,
           GroupsOver(mesh, {0}), 1));
  add(Coll("all-gather.latent", CollectiveKind::kAllGather, local_tokens * 64 * 4.0 * sp,
           seq_groups, 1));
  add(Elementwise("scheduler", kTokens * 16 * 4.0 * 4, 1));
  return p;
}

}  // namespace aoizora::bench
