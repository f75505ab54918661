#pragma once
// Q2: the predicted step latency of a compiled step program on one placement (architecture.md
// stage 3). A model prediction, never a measurement.
//
// Replay. The program's ops run in schedule order on one device. Compute ops advance a compute
// clock by their roofline time (compute_model.h). Collectives run on one communication queue (ICI
// collectives of one device are issued in order and share its links): a collective starts when
// the compute clock reaches it and the queue is free, and lasts what the communication model
// (comm/comm_model.h) says for its groups on the placement. A synchronous collective stops the
// compute clock until it ends; an asynchronous one overlaps the compute ops of its window
// [window_begin, window_end) and only stalls the clock at its done (window_end) by what is left:
// its exposed time. Every op counts `multiplicity` times: its time is scaled by it, which replays
// a loop body of identical iterations exactly (the exposed part of each iteration adds up).
// step seconds = compute seconds + the exposed seconds of all collectives.
//
// Speed. Everything that does not depend on the placement is done once in Create(): compute
// times, the event list (compute between collective events), and the deduplication of identical
// collectives; scoring a placement costs one comm-model estimate per distinct collective plus a
// pass over the collective events, and allocates nothing (Q2Scorer holds the buffers).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aoizora/comm/comm_model.h"
#include "aoizora/placement/compute_model.h"
#include "aoizora/program/step_program.h"
#include "aoizora/util/result.h"

namespace aoizora::placement {

inline constexpr const char* kModelPredictionLabel = "model prediction";

struct CollectiveBreakdown {
  std::string name;    // first op of this collective in the program
  std::string kind;    // HLO opcode name
  std::string axes;    // logical mesh axes its groups span, "cfg+sp"; "none" if no data moves
  double count = 0.0;  // times per step (sum of multiplicities)
  double seconds_each = 0.0;     // comm-model time of one instance
  double seconds = 0.0;          // count x seconds_each
  double exposed_seconds = 0.0;  // what it added to the step
  bool is_async = false;
};

// Compute seconds of one program under both sources (compute_model.h). The compiler total runs
// the ops without an estimate at the roofline; it is meaningful only when ops_with_estimate > 0.
struct ComputeBySource {
  double roofline_seconds = 0.0;
  double compiler_seconds = 0.0;
  int64_t ops_with_estimate = 0;  // compute ops in the program (each once, loops not expanded)
  int64_t ops_without_estimate = 0;
  // kCompiler when the model's source is the compiler and at least one op had an estimate.
  ComputeSource source_used = ComputeSource::kRoofline;
  bool has_compiler_estimate() const { return ops_with_estimate > 0; }
};

struct Q2Breakdown {
  double seconds = 0.0;               // predicted step latency
  double compute_seconds = 0.0;       // sum of compute op times
  double comm_seconds = 0.0;          // sum of collective times, overlapped or not
  double exposed_comm_seconds = 0.0;  // seconds - compute_seconds
  ComputeBySource compute_by_source;  // compute_seconds under each source
  std::vector<std::pair<std::string, double>> exposed_by_kind;  // HLO opcode -> seconds
  std::vector<std::pair<std::string, double>> exposed_by_axes;  // "cfg+sp" -> seconds
  std::vector<CollectiveBreakdown> collectives;                 // one per distinct collective
  std::vector<std::string> warnings;
  std::string label = kModelPredictionLabel;
};

class Q2Model {
 public:
  // mesh_shape: the logical mesh of the program (product == program.num_partitions, which must
  // not exceed the slice's devices); axis_names: one per mesh axis (default axis0, axis1, ...).
  // Every collective is validated here, once (logical ids in range, groups disjoint), so scoring
  // needs no checks. Errors name the bad value.
  static Result<Q2Model> Create(const StepProgram& program, const CommModel& comm,
                                std::vector<int64_t> mesh_shape,
                                std::vector<std::string> axis_names = {});
  // As above with explicit compute constants (tests; calibration).
  static Result<Q2Model> Create(const StepProgram& program, const CommModel& comm,
                                const ComputeConstants& compute, std::vector<int64_t> mesh_shape,
                                std::vector<std::string> axis_names = {});

  const CommModel& comm() const { return *comm_; }
  const std::vector<int64_t>& mesh_shape() const { return mesh_shape_; }
  const std::vector<std::string>& axis_names() const { return axis_names_; }
  int64_t num_logical_devices() const { return num_logical_; }
  double compute_seconds() const { return compute_seconds_; }
  const ComputeBySource& compute_by_source() const { return compute_by_source_; }
  int64_t distinct_collective_count() const { return static_cast<int64_t>(collectives_.size()); }
  int64_t collective_event_count() const { return static_cast<int64_t>(events_.size()); }
  const std::vector<std::string>& warnings() const { return warnings_; }
  // The i-th distinct collective (0 <= i < distinct_collective_count()), as the comm model sees it.
  const Collective& distinct_collective(int64_t i) const {
    return collectives_[static_cast<size_t>(i)].collective;
  }

  // Checks a placement (injective, devices of the slice, covers the program's logical devices).
  Status ValidatePlacement(const DeviceIds& placement) const;

 private:
  friend class Q2Scorer;
  enum class EventType : uint8_t { kSync, kStart, kDone };
  struct Event {
    double compute_before = 0.0;  // compute seconds (x multiplicity) since the previous event
    double multiplicity = 1.0;
    int32_t collective = 0;  // distinct collective index
    int32_t slot = 0;        // async: pending slot shared by start and done
    EventType type = EventType::kSync;
  };
  struct DistinctCollective {
    Collective collective;
    std::string name;
    uint32_t axes_mask = 0;
    double count = 0.0;
    bool is_async = false;
  };

  Q2Model() = default;
  Status Build(const StepProgram& program, const ComputeConstants& compute);
  std::string AxesLabel(uint32_t mask) const;
  uint32_t AxesMask(const Collective& collective) const;

  std::shared_ptr<const CommModel> comm_;
  std::vector<int64_t> mesh_shape_;
  std::vector<std::string> axis_names_;
  int64_t num_logical_ = 0;
  double compute_seconds_ = 0.0;
  ComputeBySource compute_by_source_;
  double trailing_compute_ = 0.0;  // after the last event
  int32_t num_slots_ = 0;
  std::vector<Event> events_;
  std::vector<DistinctCollective> collectives_;
  std::vector<std::string> warnings_;
};

// Scores placements for one Q2Model; holds every buffer, so scoring allocates nothing. One per
// thread; the model must outlive it.
class Q2Scorer {
 public:
  explicit Q2Scorer(const Q2Model& model);

  // Predicted step seconds. Precondition: model.ValidatePlacement(placement).ok().
  double Score(const DeviceIds& placement);
  // Same, for a device order stored as int32 (placement spaces); n = model.num_logical_devices().
  double Score(const int32_t* order);
  Q2Breakdown Breakdown(const DeviceIds& placement);
  // The same replay with each distinct collective's time given (seconds per instance, one per
  // distinct collective) instead of the comm model's: another evaluator of the network (sim/)
  // reuses the program's events, dependencies and async windows.
  Q2Breakdown BreakdownWithCosts(const std::vector<double>& seconds_each);

 private:
  // Costs every distinct collective on `placement_`, then replays the events. If `exposed` is not
  // null, adds each event's exposed seconds to exposed[collective].
  double Replay(double* exposed);
  void CostCollectives();
  Q2Breakdown BreakdownOfCosts();

  const Q2Model& model_;
  CommScratch scratch_;
  DeviceIds placement_;
  std::vector<double> cost_;     // per distinct collective, one instance
  std::vector<double> pending_;  // per async slot: end time of the in-flight collective
};

}  // namespace aoizora::placement
