/**
 * The cluster `vmrng up` starts with no file: one hypervisor, four guests that differ only in how
 * they get entropy, so the boot timelines tell the story side by side.
 */
export const DEFAULT_CLUSTER_YAML = `# vmrng default cluster: one hypervisor, four ways to get entropy.
version: 1
name: default
hypervisors:
  - id: hv1
    guests:
      # The boot loader hands a 32-byte SETUP_RNG_SEED: READY at virtual time 0.
      - id: seeded
      # No seed, no RDRAND: only virtio-rng (QEMU-like, queue size 8) makes it READY.
      - id: virtio
        seed: absent
        rdrand: { mode: absent }
      # Confidential guest: the hypervisor is untrusted, so it boots from RDRAND alone.
      - id: coco
        coco: true
        seed: absent
      # Nothing but rare interrupts (1 credited bit/s) and jitter: it boots with crng_init
      # pending; 'vmrng getrandom starved' blocks until jitter entropy gets it READY, and
      # 'vmrng getrandom starved --nonblock' gives EAGAIN before that.
      - id: starved
        expect: booted
        seed: absent
        rdrand: { mode: absent }
        virtioRng: { enabled: false }
        msr: { enabled: false }
        interrupts: { perSecond: 20 }
`;
