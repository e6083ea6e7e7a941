/**
 * The cluster `vmrng qemu-demo` starts when none runs: the host with its EGD server on a free
 * port (and a Unix socket in the run directory), one hypervisor with no emulated guests. The
 * real VM is QEMU's, outside the cluster, talking EGD to the host.
 */
export const QEMU_DEMO_CLUSTER_YAML = `# vmrng qemu-demo: the host serves EGD to a real QEMU guest.
version: 1
name: qemu-demo
host:
  egd: { enabled: true, socketPath: egd.sock }
hypervisors:
  - id: hv1
    guests: []
`;
