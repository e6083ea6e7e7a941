import type { ClusterSpec, GuestSpec } from "@vmrng/cluster";
import type { ClusterNode } from "@vmrng/faults";
import type { GuestFacts } from "@vmrng/scenario";

/** What the checkers need to know of a guest, from its resolved settings. */
export function guestFacts(g: GuestSpec): GuestFacts {
  return {
    coco: g.coco,
    rdrand: g.rdrand.mode,
    expect: g.expect,
    vmgenid: g.vmgenid.mode,
    seed: g.seed,
  };
}

/** The nodes of the cluster file (host, hypervisors, guests) as fault targets know them. */
export function clusterNodes(spec: ClusterSpec): ClusterNode[] {
  const nodes: ClusterNode[] = [{ id: "host", role: "host" }];
  for (const hv of spec.hypervisors) {
    nodes.push({ id: hv.id, role: "hypervisor", parent: "host" });
    for (const g of hv.guests) nodes.push({ id: g.id, role: "guest", parent: hv.id });
  }
  return nodes;
}

/** Every guest of the cluster file, in file order. */
export const specGuests = (spec: ClusterSpec): GuestSpec[] =>
  spec.hypervisors.flatMap((h) => h.guests);
