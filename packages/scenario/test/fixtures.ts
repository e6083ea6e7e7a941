/** The full example of the README, as a scenario file. */
export const FORK_NOTIFY_YAML = `
name: fork-notify
description: a clone with vmgenid notify reseeds; load runs on every guest
cluster:
  hypervisors:
    - id: hv1
      guests:
        - { id: vm-1, vmgenid: { mode: notify } }
        - { id: vm-2 }
seed: 1
duration: 10s
deadlines: { readyMs: 30000 }
load:
  clients: 4
  rate: 50
  targets: guests
  mix:
    - { op: getrandom, len: 32, flags: 0, weight: 8 }
    - { op: read, source: urandom, len: 64, weight: 2 }
schedule:
  - { at: 1s, op: clone, vm: vm-1, count: 2 }
  - { at: 2s, op: getrandom, vm: vm-1-c1, len: 32, repeat: 5, every: 100ms }
  - { at: 3s, op: kexec, vm: vm-2 }
  - { at: 3s, fault: "latency:latencyMs=200", target: hv1, for: 2s }
  - { at: 4s, op: snapshot, vm: vm-1 }
  - { at: 8s, wait: { event: init-state, node: vm-2, timeout: 5s } }
expect:
  violations: []
`;
