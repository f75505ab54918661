#include "aoizora/sim/engine.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "aoizora/util/status.h"

#ifdef AOIZORA_HAVE_SIMGRID
#include <sys/wait.h>
#include <unistd.h>
#include <xbt/log.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <set>
#include <simgrid/s4u.hpp>
#include <tuple>
#endif

namespace aoizora::sim {

#ifndef AOIZORA_HAVE_SIMGRID

bool SimGridAvailable() { return false; }

Result<std::vector<double>> SimulateFlowSets(const Platform&, const std::vector<FlowSet>&) {
  return Unimplemented(
      "built without SimGrid: run scripts/bootstrap.sh (installs libsimgrid-dev) and rebuild");
}

#else

namespace sg4 = simgrid::s4u;

bool SimGridAvailable() { return true; }

namespace {

uint64_t WholeBytes(double bytes) {
  // SimGrid moves whole bytes; the comm model's shares are fractional (V/N^2 and the like).
  return static_cast<uint64_t>(std::llround(std::max(bytes, 0.0)));
}

// The SimGrid side of one batch, built in the child: hosts and routes are created for the flows
// of the batch only (a full zone holds a route per host pair; routes must exist before seal).
class Child {
 public:
  explicit Child(const Platform& platform) : platform_(platform) {}

  std::vector<double> Run(const std::vector<FlowSet>& sets) {
    int argc = 1;
    char name[] = "aoizora-sim";
    char* argv[] = {name, nullptr};
    xbt_log_control_set("root.thres:critical");
    sg4::Engine engine(&argc, argv);
    // CM02: plain max-min sharing over the route, no TCP corrections (the default LV08 scales
    // latency by 13.01 and bandwidth by 0.97, and bounds a flow's rate by a TCP window); no
    // reverse-direction cross traffic (ICI links are full duplex, each direction its own link).
    engine.set_config("network/model:CM02");
    engine.set_config("network/crosstraffic:0");
    engine.set_config("network/TCP-gamma:0");
    // Full re-solve of the sharing at every event: with the default lazy updates a ring shift
    // over a scattered 4x4 placement ended in 2.64 ms though its busiest link carries 2.98 ms of
    // bytes (test FlowsPutTheModelsBytesOnEveryLink), i.e. a link ran above its capacity.
    engine.set_config("network/optim:Full");
    zone_ = sg4::create_full_zone("slice");
    for (const PlatformLink& link : platform_.links()) {
      links_.push_back(zone_->create_link(link.name, link.bandwidth_bytes_per_second)
                           ->set_latency(link.latency_seconds)
                           ->seal());
    }
    std::vector<std::vector<Endpoints>> flows(sets.size());
    for (size_t s = 0; s < sets.size(); ++s) flows[s] = AddRoutes(sets[s]);
    // The driver actor only starts flows; it lives on device 0's host.
    sg4::Host* driver = Host(kDevice, 0);
    zone_->seal();

    std::vector<double> times(sets.size(), 0.0);
    sg4::Actor::create("driver", driver, [&flows, &times] {
      for (size_t s = 0; s < flows.size(); ++s) {
        const double start = sg4::Engine::get_clock();
        std::vector<sg4::CommPtr> comms;
        for (const Endpoints& f : flows[s]) {
          comms.push_back(sg4::Comm::sendto_async(f.from, f.to, f.bytes));
        }
        sg4::Comm::wait_all(comms);
        times[s] = sg4::Engine::get_clock() - start;
      }
    });
    engine.run();
    return times;
  }

 private:
  enum HostKind { kDevice, kRunSource, kRunTarget, kChainSource, kChainTarget };
  struct Endpoints {
    sg4::Host* from;
    sg4::Host* to;
    uint64_t bytes;
  };

  sg4::Host* Host(HostKind kind, int64_t key) {
    sg4::Host*& host = hosts_[{kind, key}];
    if (host == nullptr) {
      static constexpr const char* kPrefix[] = {"device", "run-from-slot", "run-to-slot",
                                                "chain-from-link", "chain-to-link-variant"};
      // Hosts compute nothing here (compute times come from Q2's compute clock); the speed is
      // irrelevant but must be positive.
      host = zone_->create_host(std::string(kPrefix[kind]) + std::to_string(key), 1e12)->seal();
    }
    return host;
  }

  void AddRoute(sg4::Host* from, sg4::Host* to, const std::vector<int32_t>& path) {
    if (!routed_.insert({from, to}).second) return;
    std::vector<sg4::LinkInRoute> route;
    for (int32_t link : path) route.emplace_back(links_[static_cast<size_t>(link)]);
    zone_->add_route(from->get_netpoint(), to->get_netpoint(), nullptr, nullptr, route, false);
  }

  std::vector<Endpoints> AddRoutes(const FlowSet& set) {
    std::vector<Endpoints> out;
    for (size_t i = 0; i < set.runs.size(); ++i) {
      const LinkRun& run = set.runs[i];
      if (run.continues) {  // the first leg of a chain: one flow over all of its legs
        const size_t end = ChainEnd(set.runs, i);
        AddChain(set.runs, i, end, out);
        i = end;
        continue;
      }
      const uint64_t bytes = WholeBytes(run.bytes);
      if (bytes == 0 || run.steps == 0) continue;
      // A run is keyed by the slot of its first link and the slot of the same axis and direction
      // at its target: a (source, target) pair of these is one run path, even for a full circle
      // on a wrapped axis (the target slot is then the source device's own).
      const bool positive = run.steps > 0;
      const int64_t first = LinkIndex({run.device, run.axis, positive});
      const int64_t last = LinkIndex({platform_.RunTarget(run), run.axis, positive});
      sg4::Host* from = Host(kRunSource, first);
      sg4::Host* to = Host(kRunTarget, last);
      AddRoute(from, to, platform_.RunLinks(run));
      out.push_back({from, to, bytes});
    }
    for (const Transfer& t : set.transfers) {
      const uint64_t bytes = WholeBytes(t.bytes);
      if (bytes == 0 || t.source == t.target) continue;
      sg4::Host* from = Host(kDevice, t.source);
      sg4::Host* to = Host(kDevice, t.target);
      AddRoute(from, to, platform_.RouteLinks(t.source, t.target));
      out.push_back({from, to, bytes});
    }
    return out;
  }

  // Index of the last leg of the chain starting at `begin` (the first run not continuing).
  static size_t ChainEnd(const std::vector<LinkRun>& runs, size_t begin) {
    size_t end = begin;
    while (end + 1 < runs.size() && runs[end].continues) ++end;
    return end;
  }

  // Legs begin..end (inclusive) as one flow over their links in order. Hosts stay bounded by the
  // link slots (a full zone holds a route per host pair): the source host is the first link's,
  // the target host the last link's, with a variant number for routes that share both ends and
  // differ in between (another order of the middle axes, or a tie's other way).
  void AddChain(const std::vector<LinkRun>& runs, size_t begin, size_t end,
                std::vector<Endpoints>& out) {
    const uint64_t bytes = WholeBytes(runs[begin].bytes);
    std::vector<int32_t> links;
    for (size_t j = begin; j <= end; ++j) {
      const std::vector<int32_t> leg = platform_.RunLinks(runs[j]);
      links.insert(links.end(), leg.begin(), leg.end());
    }
    if (bytes == 0 || links.empty()) return;
    std::vector<std::vector<int32_t>>& variants = chains_[{links.front(), links.back()}];
    size_t v = 0;
    while (v < variants.size() && variants[v] != links) ++v;
    if (v == variants.size()) variants.push_back(links);
    if (v >= static_cast<size_t>(kMaxChainVariants)) {  // the child reports it; never seen
      throw std::runtime_error("more than " + std::to_string(kMaxChainVariants) +
                               " routes share their first and last link");
    }
    sg4::Host* from = Host(kChainSource, links.front());
    sg4::Host* to = Host(kChainTarget, static_cast<int64_t>(links.back()) * kMaxChainVariants +
                                           static_cast<int64_t>(v));
    AddRoute(from, to, links);
    out.push_back({from, to, bytes});
  }

  // Routes sharing their first and last link: at most the orders of the middle axes (2 of the
  // 4 grid axes) times both ways of a tie on each.
  static constexpr int64_t kMaxChainVariants = 64;

  const Platform& platform_;
  std::map<std::pair<int32_t, int32_t>, std::vector<std::vector<int32_t>>> chains_;
  sg4::NetZone* zone_ = nullptr;
  std::vector<sg4::Link*> links_;
  std::map<std::pair<int, int64_t>, sg4::Host*> hosts_;
  std::set<std::pair<sg4::Host*, sg4::Host*>> routed_;
};

bool WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Result<std::vector<double>> SimulateFlowSets(const Platform& platform,
                                             const std::vector<FlowSet>& sets) {
  if (sets.empty()) return std::vector<double>{};
  int fds[2];
  if (pipe(fds) != 0) return Internal(std::string("SimGrid: pipe failed: ") + strerror(errno));
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return Internal(std::string("SimGrid: fork failed: ") + strerror(errno));
  }
  if (pid == 0) {
    close(fds[0]);
    int code = 1;
    try {
      const std::vector<double> times = Child(platform).Run(sets);
      code = WriteAll(fds[1], times.data(), times.size() * sizeof(double)) ? 0 : 3;
    } catch (const std::exception& e) {
      // The parent reports the exit status; the reason goes to stderr for whoever debugs it.
      fprintf(stderr, "aoizora SimGrid child: %s\n", e.what());
      code = 2;
    } catch (...) {
      code = 2;
    }
    close(fds[1]);
    _exit(code);  // no atexit handlers, no destructors of the parent's state
  }
  close(fds[1]);
  std::vector<double> times(sets.size(), 0.0);
  const size_t want = times.size() * sizeof(double);
  size_t got = 0;
  char* out = reinterpret_cast<char*>(times.data());
  while (got < want) {
    const ssize_t n = read(fds[0], out + got, want - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    return Internal("SimGrid simulation died of signal " + std::to_string(WTERMSIG(status)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != want) {
    return Internal("SimGrid simulation failed (child exit status " +
                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ", " +
                    std::to_string(got) + " of " + std::to_string(want) + " result bytes)");
  }
  return times;
}

#endif

}  // namespace aoizora::sim
