#include "aoizora/program/step_program.h"

namespace aoizora {

Collective CollectiveOp::ToCollective() const {
  Collective c;
  c.kind = kind;
  c.array_bytes = ArrayBytesFromPayload(kind, payload_bytes, group_size);
  c.groups = groups;
  c.pairs = pairs;
  return c;
}

}  // namespace aoizora
