/** Why a cluster file was refused. The CLI prints `message` and exits 2. */
export class ClusterFileError extends Error {
  readonly code = "E_CLUSTER_FILE";
  constructor(
    /** The file named by the user, or "<default cluster>" / "<--set>". */
    readonly file: string,
    /** JSON-pointer-like path to the bad field, e.g. "/hypervisors/0/guests/1/rdrand/mode". */
    readonly path: string,
    /** What was expected there, in words. */
    readonly expected: string,
    /** Where in the YAML text, when known. */
    readonly line?: number,
  ) {
    const where = line === undefined ? file : `${file}:${line}`;
    super(`${where}: ${path || "/"}: ${expected}`);
    this.name = "ClusterFileError";
  }
}
