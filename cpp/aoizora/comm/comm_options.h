#pragma once
// Switches for the model's assumptions where real runtimes may differ (docs/comm-model.md).

namespace aoizora {

// How a ring collective (all-gather, reduce-scatter, all-reduce) orders a group's devices.
enum class RingOrder {
  // The runtime picks a good schedule for the chip set: a group that fills a sub-grid of the slice
  // (or a product lattice over 2+ axes) runs per-axis phases on all its axes at once (the
  // published multi-axis speed-up); any other group runs one bidirectional ring, in its listed
  // order unless a snake over its bounding box has fewer hops (docs/comm-model.md "Symmetry").
  kBestForChipSet,
  // One bidirectional ring through the devices in the order the group lists them (consecutive
  // members, closing pair included, each routed dimension-order).
  kListedOrder,
};

// How concurrent users of one directed link share it.
enum class ContentionLaw {
  // k users each get W_1/k (loads add up; tpu-hardware.md section 3 item 11). Default.
  kFairShare,
  // Two users each keep `shared_link_user_share` of a solo link (V5: 23 -> 15.2 GB/s, x0.66), so
  // a shared link carries 2 x share x W_1 in total, whatever the number of users k >= 2.
  kMeasuredSharedLink,
};

struct CommOptions {
  RingOrder ring_order = RingOrder::kBestForChipSet;
  ContentionLaw contention = ContentionLaw::kFairShare;
  double shared_link_user_share = 0.66;  // V5 [secondary], only for kMeasuredSharedLink
};

}  // namespace aoizora
