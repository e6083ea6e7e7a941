import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunDir, type RunState } from "@vmrng/cluster";
import { describe, expect, it } from "vitest";
import { vmrng } from "./helpers/run-vmrng.js";

const tempDir = (): string => mkdtempSync(join(tmpdir(), "vmrng-cli-"));

const deadPid = (): number => spawnSync(process.execPath, ["-e", "0"]).pid!;

function writeState(dir: string, hostPid: number, extra: RunState["nodes"] = []): RunDir {
  const rd = new RunDir(dir);
  rd.create();
  rd.writeState({
    format: 1,
    cluster: "lab",
    hostPid,
    controlUrl: "ws://127.0.0.1:9/",
    startedAt: new Date().toISOString(),
    nodes: [{ id: "host", role: "host", pid: hostPid }, ...extra],
  });
  return rd;
}

describe("vmrng (built binary) without a cluster", () => {
  it("has --help with examples on every command", async () => {
    for (const cmd of ["up", "status", "logs", "down", "restart", "getrandom", "dump", "schema"]) {
      const r = await vmrng([cmd, "--help"]);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout.toString(), cmd).toContain("Examples:");
      expect(r.stdout.toString(), cmd).toContain(`Usage: vmrng ${cmd}`);
    }
    const top = await vmrng(["--help"]);
    expect(top.stdout.toString()).toMatch(/Exit codes: 0 ok, 1 failure, 2 bad usage/);
  });

  it("prints the cluster file's JSON Schema", async () => {
    const r = await vmrng(["schema"]);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout.toString());
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.title).toBe("vmrng cluster file");
    expect(schema.required).toEqual(["hypervisors"]);
    expect(
      schema.properties.hypervisors.items.properties.guests.items.properties.seed.anyOf,
    ).toEqual([
      { const: "present", type: "string" },
      { const: "absent", type: "string" },
      { const: "zero", type: "string" },
      { const: "replayed", type: "string" },
    ]);
  });

  it("exits 2 on bad usage", async () => {
    const unknown = await vmrng(["up", "--bogus"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^vmrng: unknown option '--bogus'/);
    expect((await vmrng(["getrandom"])).code).toBe(2);
    const size = await vmrng(["getrandom", "g1", "-n", "1T"]);
    expect(size.code).toBe(2);
    expect(size.stderr).toContain('invalid byte count "1T"');
    const flags = await vmrng(["getrandom", "g1", "--flags", "1", "--nonblock"]);
    expect(flags.code).toBe(2);
    const json = await vmrng(["up", "--json", "--run-dir", tempDir()]);
    expect(json.code).toBe(2);
    expect(json.stderr).toContain("--json needs --detach");
  });

  it("exits 2 on an invalid cluster file, naming file, line, field and expectation", async () => {
    const dir = tempDir();
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      "hypervisors:\n  - id: hv1\n    guests:\n      - id: g1\n        rdrand: { mode: sometimes }\n",
    );
    const r = await vmrng(["up", "-f", file, "--run-dir", join(dir, "run")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `vmrng: ${file}:5: /hypervisors/0/guests/0/rdrand/mode: expected one of "ok", "absent", "fail", "stuck", "flaky" (got "sometimes")\n`,
    );
    // Nothing was started: no state, no host.
    expect(existsSync(join(dir, "run", "state.json"))).toBe(false);
    const set = await vmrng(["up", "--set", "guest:seeded.cpus=0", "--run-dir", join(dir, "run")]);
    expect(set.code).toBe(2);
    expect(set.stderr).toMatch(
      /^vmrng: --set guest:seeded.cpus=0: \/hypervisors\/0\/guests\/0\/cpus: expected an integer >= 1/,
    );
    const missing = await vmrng(["up", "-f", join(dir, "nope.yaml")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`vmrng: ${join(dir, "nope.yaml")}: /: file not found\n`);
  });

  it("says clearly that no cluster is running, with exit 3", async () => {
    const dir = tempDir();
    for (const args of [
      ["status"],
      ["getrandom", "g1"],
      ["dump", "g1", "-n", "1K"],
      ["restart", "g1"],
      ["down"],
    ]) {
      const r = await vmrng([...args, "--run-dir", dir]);
      expect(r.code, args.join(" ")).toBe(3);
      expect(r.stderr, args.join(" ")).toBe(
        `vmrng: no cluster is running in ${dir} (no state.json); start one with 'vmrng up'\n`,
      );
    }
    // The environment variable names the run dir too.
    const env = await vmrng(["status"], { env: { VMRNG_RUN_DIR: dir } });
    expect(env.stderr).toContain(`no cluster is running in ${dir}`);

    const pid = deadPid();
    writeState(dir, pid);
    const dead = await vmrng(["getrandom", "g1", "--run-dir", dir]);
    expect(dead.code).toBe(3);
    expect(dead.stderr).toBe(
      `vmrng: no cluster is running in ${dir}: recorded host pid ${pid} is not alive\n`,
    );
  });

  it("down after a dead host kills recorded leftovers and removes the state", async () => {
    const dir = tempDir();
    const leftover = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {
      stdio: "ignore",
    });
    const exited = new Promise((r) => leftover.once("exit", (_c, sig) => r(sig)));
    const host = deadPid();
    const rd = writeState(dir, host, [{ id: "g1", role: "guest", pid: leftover.pid! }]);
    const r = await vmrng(["down", "--run-dir", dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`recorded host pid ${host} is not alive`);
    expect(r.stderr).toContain(`killed leftover pids ${leftover.pid}`);
    expect(await exited).toBe("SIGKILL");
    expect(existsSync(rd.stateFile)).toBe(false);
  });

  it("up refuses a run dir whose recorded host is alive (exit 7)", async () => {
    const dir = tempDir();
    writeState(dir, process.pid);
    const r = await vmrng(["up", "--detach", "--run-dir", dir]);
    expect(r.code).toBe(7);
    expect(r.stderr).toBe(
      `vmrng: a cluster ("lab") is already running in ${dir} (host pid ${process.pid}); stop it with 'vmrng down' or pick another --run-dir\n`,
    );
  });

  it("logs reads the run dir's log files, in cluster order, prefixed by node", async () => {
    const dir = tempDir();
    const rd = new RunDir(dir);
    rd.create();
    writeFileSync(
      rd.clusterFile,
      JSON.stringify({
        version: 1,
        name: "lab",
        host: { egd: { enabled: false, port: 0 } },
        hypervisors: [{ id: "hv1", guests: [{ id: "zeta" }, { id: "alpha" }] }],
      }),
    );
    writeFileSync(
      rd.logFile("alpha"),
      "[    0.000000] Linux version 6.12\n[    0.000100] random: crng init done\n",
    );
    writeFileSync(rd.logFile("zeta"), "[    0.000000] Linux version 6.12\n");
    writeFileSync(rd.logFile("hv1"), "starting guests\n");
    writeFileSync(rd.logFile("host"), "listening\n");
    mkdirSync(join(dir, "logs", "ignored-dir.d"));
    const all = await vmrng(["logs", "--run-dir", dir]);
    expect(all.code).toBe(0);
    expect(all.stdout.toString()).toBe(
      [
        "host  | listening",
        "hv1   | starting guests",
        "zeta  | [    0.000000] Linux version 6.12",
        "alpha | [    0.000000] Linux version 6.12",
        "alpha | [    0.000100] random: crng init done",
        "",
      ].join("\n"),
    );
    const one = await vmrng(["logs", "alpha", "-n", "1", "--run-dir", dir]);
    expect(one.stdout.toString()).toBe("[    0.000100] random: crng init done\n");
    const nope = await vmrng(["logs", "nope", "--run-dir", dir]);
    expect(nope.code).toBe(8);
    expect(nope.stderr).toContain("no log for node nope");
    const empty = await vmrng(["logs", "--run-dir", tempDir()]);
    expect(empty.code).toBe(3);
    // Not running: -f prints what is there and ends instead of waiting forever.
    const follow = await vmrng(["logs", "-f", "hv1", "--run-dir", dir]);
    expect(follow.code).toBe(0);
    expect(follow.stdout.toString()).toBe("starting guests\n");
  });
});
