import { spawn, execFile, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const e2eDirectory = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const resultsDirectory = join(e2eDirectory, "results");

/**
 * Where the built Gateway is: `dotnet build Crm.sln` puts it in src/Gateway/bin/Debug/net10.0. CRM_E2E_GATEWAY_DIR
 * points the run at another build (e.g. another worktree's).
 */
export const gatewayDirectory = resolve(process.env.CRM_E2E_GATEWAY_DIR ?? join(e2eDirectory, "../../src/Gateway/bin/Debug/net10.0"));

export interface CrmProcess {
  url: string;
  dataDirectory: string;
  logFile: string;
  stop: () => Promise<void>;
}

/** A second workspace's owner, made with `create-owner` against the same store. */
export interface WorkspaceOwner {
  workspace: string;
  email: string;
  password: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * The configuration of the run, as environment variables (`__` for `:`), shared by the server and create-owner so
 * both use the same store: Development (the demo workspace is seeded), a fresh SQLite file and spool, the seeded Twilio
 * connection pointed at the fake Twilio, and assignment timings short enough for tests to watch.
 */
function configuration(url: string, dataDirectory: string, fakeTwilioUrl: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ASPNETCORE_ENVIRONMENT: "Development",
    ASPNETCORE_URLS: url,
    // appsettings*.json and the static web assets manifest sit beside the dll.
    ASPNETCORE_CONTENTROOT: gatewayDirectory,
    DOTNET_NOLOGO: "1",
    DOTNET_CLI_TELEMETRY_OPTOUT: "1",
    ConnectionStrings__Sqlite: `Data Source=${join(dataDirectory, "crm.db")}`,
    Crm__Spool__Path: join(dataDirectory, "spool.db"),
    Crm__Twilio__PublicBaseUrl: url,
    Crm__ChannelConnections__Seed__0__ApiBaseUrl: fakeTwilioUrl,
    Crm__ChannelConnections__CacheFor: "00:00:01",
    Crm__Assignment__HeartbeatInterval: "00:00:01",
    Crm__Assignment__SweepInterval: "00:00:01",
    Crm__Assignment__OfflineGrace: "00:00:04",
    // Tests leave conversations with the demo agents: capacity must not be what decides where the next one goes.
    Crm__Assignment__WorkspaceMaxOpenPerAgent: "500",
    Logging__LogLevel__Default: "Warning",
    Logging__LogLevel__Microsoft__AspNetCore: "Warning",
  };
}

/** Runs `Crm.Gateway.dll create-owner` on the run's store: a second workspace with its owner. */
export async function createOwner(env: NodeJS.ProcessEnv, owner: WorkspaceOwner): Promise<void> {
  const { stdout } = await promisify(execFile)(
    "dotnet",
    [join(gatewayDirectory, "Crm.Gateway.dll"), "create-owner", "--email", owner.email, "--password", owner.password, "--workspace", owner.workspace],
    { env, cwd: env.CRM_E2E_DATA as string, timeout: 60_000 },
  );
  if (!stdout.includes("Created workspace")) throw new Error(`create-owner said: ${stdout}`);
}

/** What a test's own Crm changes from the run's (e.g. `Crm__Auth__TokenLifetime`), and the name of its log. */
export interface CrmSettings {
  /** More configuration, as environment variables (`__` for `:`); it wins over the run's. */
  env?: Record<string, string>;
  /** The log goes to results/{logName}.log (default crm). */
  logName?: string;
}

/**
 * Starts a real Crm (the built Gateway) on a free 127.0.0.1 port in a fresh temporary directory, after making the
 * extra workspaces' owners in the same store, and waits until `/health/ready` answers 200.
 */
export async function startCrm(fakeTwilioUrl: string, owners: WorkspaceOwner[], settings: CrmSettings = {}): Promise<CrmProcess> {
  const dll = join(gatewayDirectory, "Crm.Gateway.dll");
  if (!existsSync(dll)) throw new Error(`${dll} is missing: run \`dotnet build Crm.sln\` first (or set CRM_E2E_GATEWAY_DIR).`);
  const dataDirectory = mkdtempSync(join(tmpdir(), "crm-e2e-"));
  const url = `http://127.0.0.1:${await freePort()}`;
  const env = { ...configuration(url, dataDirectory, fakeTwilioUrl), ...settings.env, CRM_E2E_DATA: dataDirectory };
  mkdirSync(resultsDirectory, { recursive: true });
  const logFile = join(resultsDirectory, `${settings.logName ?? "crm"}.log`);
  const log = createWriteStream(logFile);

  // Before the server starts: no two processes initialize the store at once.
  for (const owner of owners) await createOwner(env, owner);

  const child: ChildProcess = spawn("dotnet", [dll], { env, cwd: dataDirectory, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  let exited: string | null = null;
  child.on("exit", (code, signal) => { exited = `exited with ${code ?? signal}`; });
  // A backstop for a run that dies without its teardown: never leave a Crm behind.
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);

  const stop = async () => {
    process.off("exit", killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((done) => child.once("exit", () => done()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await gone;
      clearTimeout(timer);
    }
    log.end();
    rmSync(dataDirectory, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (exited) throw new Error(`Crm ${exited} before it was ready; see ${logFile}`);
      try {
        const response = await fetch(`${url}/health/ready`);
        if (response.ok) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`Crm was not ready within 90 s; see ${logFile}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, dataDirectory, logFile, stop };
}
