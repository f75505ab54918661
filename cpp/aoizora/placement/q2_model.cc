#include "aoizora/placement/q2_model.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "aoizora/comm/collective_validation.h"
#include "aoizora/placement/mesh_shape.h"

namespace aoizora::placement {
namespace {

using CollectiveKey = std::tuple<int, double, DeviceGroups, SourceTargetPairs>;

CollectiveKey KeyOf(const Collective& c) {
  return {static_cast<int>(c.kind), c.array_bytes, c.groups, c.pairs};
}

void AddTo(std::vector<std::pair<std::string, double>>& buckets, const std::string& key,
           double seconds) {
  for (auto& [name, value] : buckets) {
    if (name == key) {
      value += seconds;
      return;
    }
  }
  buckets.emplace_back(key, seconds);
}

}  // namespace

Result<Q2Model> Q2Model::Create(const StepProgram& program, const CommModel& comm,
                                std::vector<int64_t> mesh_shape,
                                std::vector<std::string> axis_names) {
  return Create(program, comm, ComputeConstants::FromChip(comm.topology().chip()),
                std::move(mesh_shape), std::move(axis_names));
}

Result<Q2Model> Q2Model::Create(const StepProgram& program, const CommModel& comm,
                                const ComputeConstants& compute, std::vector<int64_t> mesh_shape,
                                std::vector<std::string> axis_names) {
  AOIZORA_ASSIGN_OR_RETURN(const LogicalMeshShape shape, CheckLogicalMeshShape(mesh_shape, 32));
  const int64_t product = shape.num_devices;
  const std::string& text = shape.text;
  if (product != program.num_partitions) {
    return InvalidArgument("logical mesh " + text + " has " + std::to_string(product) +
                           " devices but the program has " +
                           std::to_string(program.num_partitions) + " partitions");
  }
  if (product > comm.topology().num_devices()) {
    return InvalidArgument("the program has " + std::to_string(product) +
                           " partitions but the slice " + comm.topology().ToString() + " has " +
                           std::to_string(comm.topology().num_devices()) + " devices");
  }
  if (axis_names.empty()) {
    for (size_t j = 0; j < mesh_shape.size(); ++j) {
      std::string name = "axis";
      name += std::to_string(j);
      axis_names.push_back(std::move(name));
    }
  }
  if (axis_names.size() != mesh_shape.size()) {
    return InvalidArgument(std::to_string(axis_names.size()) + " axis names for a " +
                           std::to_string(mesh_shape.size()) + "-axis mesh " + text);
  }
  if (!(compute.peak_flops_per_second > 0.0) || !(compute.hbm_bytes_per_second > 0.0)) {
    return InvalidArgument("compute constants need a positive peak and HBM bandwidth");
  }
  Q2Model model;
  model.comm_ = std::make_shared<const CommModel>(comm);
  model.mesh_shape_ = std::move(mesh_shape);
  model.axis_names_ = std::move(axis_names);
  model.num_logical_ = product;
  AOIZORA_RETURN_IF_ERROR(model.Build(program, compute));
  return model;
}

uint32_t Q2Model::AxesMask(const Collective& collective) const {
  // Logical coordinates are row-major (last axis fastest).
  auto differs = [&](int64_t a, int64_t b) {
    uint32_t mask = 0;
    for (size_t j = mesh_shape_.size(); j-- > 0;) {
      if (a % mesh_shape_[j] != b % mesh_shape_[j]) mask |= uint32_t{1} << j;
      a /= mesh_shape_[j];
      b /= mesh_shape_[j];
    }
    return mask;
  };
  uint32_t mask = 0;
  for (const auto& [source, target] : collective.pairs) mask |= differs(source, target);
  for (const auto& group : collective.groups) {
    for (int64_t id : group) mask |= differs(group.front(), id);
  }
  if (collective.groups.empty() && collective.kind != CollectiveKind::kCollectivePermute) {
    for (size_t j = 0; j < mesh_shape_.size(); ++j) {
      if (mesh_shape_[j] > 1) mask |= uint32_t{1} << j;
    }
  }
  return mask;
}

std::string Q2Model::AxesLabel(uint32_t mask) const {
  if (mask == 0) return "none";
  std::string label;
  for (size_t j = 0; j < mesh_shape_.size(); ++j) {
    if (!(mask & (uint32_t{1} << j))) continue;
    if (!label.empty()) label += '+';
    label += axis_names_[j];
  }
  return label;
}

Status Q2Model::Build(const StepProgram& program, const ComputeConstants& compute) {
  const DeviceIds identity = IdentityPlacement(num_logical_);
  std::map<CollectiveKey, int32_t> index_of;
  const size_t num_ops = program.ops.size();
  // Async collectives whose done falls before op i: dones[i] lists their pending slots.
  std::vector<std::vector<int32_t>> dones(num_ops + 1);
  std::vector<int32_t> done_collective(0);
  std::vector<double> done_multiplicity(0);
  double compute_since_event = 0.0;
  auto flush_dones = [&](size_t i) {
    for (int32_t slot : dones[i]) {
      Event e;
      e.type = EventType::kDone;
      e.slot = slot;
      e.collective = done_collective[slot];
      e.multiplicity = done_multiplicity[slot];
      e.compute_before = compute_since_event;
      compute_since_event = 0.0;
      events_.push_back(e);
    }
  };
  for (size_t i = 0; i < num_ops; ++i) {
    flush_dones(i);
    const StepOp& step_op = program.ops[i];
    const double multiplicity = step_op.multiplicity;
    if (!(multiplicity >= 0.0)) {
      return InvalidArgument("op " + std::to_string(i) + " has multiplicity " +
                             std::to_string(multiplicity));
    }
    if (const auto* op = std::get_if<ComputeOp>(&step_op.op)) {
      const ComputeTime t = ComputeOpTime(*op, compute);
      const double seconds = t.seconds * multiplicity;
      compute_seconds_ += seconds;
      compute_by_source_.roofline_seconds += t.roofline_seconds * multiplicity;
      const bool estimated = t.compiler_seconds >= 0.0;
      compute_by_source_.compiler_seconds +=
          (estimated ? t.compiler_seconds : t.roofline_seconds) * multiplicity;
      ++(estimated ? compute_by_source_.ops_with_estimate
                   : compute_by_source_.ops_without_estimate);
      compute_by_source_.source_used =
          t.from_compiler ? ComputeSource::kCompiler : compute_by_source_.source_used;
      compute_since_event += seconds;
      continue;
    }
    const auto& op = std::get<CollectiveOp>(step_op.op);
    Collective collective = op.ToCollective();
    auto [it, inserted] =
        index_of.emplace(KeyOf(collective), static_cast<int32_t>(collectives_.size()));
    if (inserted) {
      Status valid = ValidateCollective(comm_->topology(), collective, identity);
      if (!valid.ok()) {
        return InvalidArgument("collective " + op.name + ": " + valid.error().message());
      }
      DistinctCollective d;
      d.name = op.name;
      d.axes_mask = AxesMask(collective);
      d.collective = std::move(collective);
      collectives_.push_back(std::move(d));
    }
    DistinctCollective& d = collectives_[it->second];
    d.count += multiplicity;
    Event e;
    e.collective = it->second;
    e.multiplicity = multiplicity;
    e.compute_before = compute_since_event;
    compute_since_event = 0.0;
    const bool window_ok = op.is_async && op.window_end > static_cast<int64_t>(i) &&
                           op.window_end <= static_cast<int64_t>(num_ops);
    if (op.is_async && !window_ok) {
      warnings_.push_back("async collective " + op.name + " has window [" +
                          std::to_string(op.window_begin) + ", " + std::to_string(op.window_end) +
                          ") not after it; replayed as synchronous");
    }
    if (window_ok) {
      d.is_async = true;
      e.type = EventType::kStart;
      e.slot = num_slots_++;
      done_collective.push_back(e.collective);
      done_multiplicity.push_back(multiplicity);
      dones[op.window_end].push_back(e.slot);
    }
    events_.push_back(e);
  }
  flush_dones(num_ops);
  trailing_compute_ = compute_since_event;
  for (const std::string& w : program.warnings) warnings_.push_back(w);
  return OkStatus();
}

Status Q2Model::ValidatePlacement(const DeviceIds& placement) const {
  if (static_cast<int64_t>(placement.size()) != num_logical_) {
    return InvalidArgument("placement has " + std::to_string(placement.size()) +
                           " entries but the program has " + std::to_string(num_logical_) +
                           " logical devices");
  }
  return aoizora::ValidatePlacement(comm_->topology(), placement);
}

Q2Scorer::Q2Scorer(const Q2Model& model)
    : model_(model),
      scratch_(model.comm().NewScratch()),
      placement_(static_cast<size_t>(model.num_logical_devices())),
      cost_(model.collectives_.size()),
      pending_(static_cast<size_t>(model.num_slots_)) {}

void Q2Scorer::CostCollectives() {
  const CommModel& comm = model_.comm();
  for (size_t c = 0; c < cost_.size(); ++c) {
    cost_[c] = comm.Estimate(model_.collectives_[c].collective, placement_, scratch_).seconds;
  }
}

double Q2Scorer::Replay(double* exposed) {
  double clock = 0.0;
  double queue_free = 0.0;
  for (const Q2Model::Event& e : model_.events_) {
    clock += e.compute_before;
    switch (e.type) {
      case Q2Model::EventType::kSync: {
        const double end = std::max(clock, queue_free) + e.multiplicity * cost_[e.collective];
        if (exposed) exposed[e.collective] += end - clock;
        clock = end;
        queue_free = end;
        break;
      }
      case Q2Model::EventType::kStart: {
        const double end = std::max(clock, queue_free) + e.multiplicity * cost_[e.collective];
        queue_free = end;
        pending_[e.slot] = end;
        break;
      }
      case Q2Model::EventType::kDone: {
        const double end = pending_[e.slot];
        if (end > clock) {
          if (exposed) exposed[e.collective] += end - clock;
          clock = end;
        }
        break;
      }
    }
  }
  return clock + model_.trailing_compute_;
}

double Q2Scorer::Score(const DeviceIds& placement) {
  std::copy(placement.begin(), placement.end(), placement_.begin());
  CostCollectives();
  return Replay(nullptr);
}

double Q2Scorer::Score(const int32_t* order) {
  std::copy(order, order + placement_.size(), placement_.begin());
  CostCollectives();
  return Replay(nullptr);
}

Q2Breakdown Q2Scorer::Breakdown(const DeviceIds& placement) {
  std::copy(placement.begin(), placement.end(), placement_.begin());
  CostCollectives();
  return BreakdownOfCosts();
}

Q2Breakdown Q2Scorer::BreakdownWithCosts(const std::vector<double>& seconds_each) {
  std::copy(seconds_each.begin(), seconds_each.begin() + static_cast<ptrdiff_t>(cost_.size()),
            cost_.begin());
  return BreakdownOfCosts();
}

Q2Breakdown Q2Scorer::BreakdownOfCosts() {
  std::vector<double> exposed(cost_.size(), 0.0);
  Q2Breakdown b;
  b.seconds = Replay(exposed.data());
  b.compute_seconds = model_.compute_seconds_;
  b.compute_by_source = model_.compute_by_source_;
  b.exposed_comm_seconds = b.seconds - b.compute_seconds;
  b.warnings = model_.warnings_;
  for (size_t c = 0; c < cost_.size(); ++c) {
    const Q2Model::DistinctCollective& d = model_.collectives_[c];
    CollectiveBreakdown cb;
    cb.name = d.name;
    cb.kind = std::string(CollectiveKindName(d.collective.kind));
    cb.axes = model_.AxesLabel(d.axes_mask);
    cb.count = d.count;
    cb.seconds_each = cost_[c];
    cb.seconds = d.count * cost_[c];
    cb.exposed_seconds = exposed[c];
    cb.is_async = d.is_async;
    b.comm_seconds += cb.seconds;
    AddTo(b.exposed_by_kind, cb.kind, cb.exposed_seconds);
    AddTo(b.exposed_by_axes, cb.axes, cb.exposed_seconds);
    b.collectives.push_back(std::move(cb));
  }
  return b;
}

}  // namespace aoizora::placement
